//! What Ethereum tooling reaches for (issue 12): estimates and calls that
//! ignore the nonce, geth's error texts.

use crate::{call, key, start};
use alloy_primitives::Address;
use serde_json::{Value, json};

fn message(v: &Value) -> String {
    v["error"]["message"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn estimates_and_calls_ignore_the_nonce_with_geths_errors() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    let from = key(1).address();
    // A client estimating its next transaction before the previous one is
    // mined passes a nonce ahead of the state's (and a stale one after).
    for nonce in ["0x5", "0x0"] {
        let est = call(
            &url,
            "eth_estimateGas",
            json!([{"from": from, "to": Address::ZERO, "value": "0x1", "nonce": nonce}]),
        )
        .await;
        assert_eq!(est["result"], "0x5208", "{est}");
        let out =
            call(&url, "eth_call", json!([{"from": from, "to": Address::ZERO, "nonce": nonce}]))
                .await;
        assert_eq!(out["result"], "0x", "{out}");
    }
    // A halting call gets the VM's error as geth words it.
    let target = Address::repeat_byte(0xfe);
    call(&url, "anvil_setCode", json!([target, "0xfe"])).await;
    let halted = call(&url, "eth_call", json!([{"from": from, "to": target}])).await;
    assert_eq!(message(&halted), "invalid opcode: INVALID", "{halted}");
    let broke = key(9).address();
    let poor = call(&url, "eth_call", json!([{"from": broke, "to": target, "value": "0x1"}])).await;
    assert_eq!(
        message(&poor),
        format!("insufficient funds for gas * price + value: address {broke} have 0 want 1")
    );
    let est = call(&url, "eth_estimateGas", json!([{"from": from, "to": target}])).await;
    assert_eq!(message(&est), "invalid opcode: INVALID", "{est}");
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_accounts_sign_and_impersonation_sends() {
    use alloy::{
        consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable},
        eips::Decodable2718,
    };
    use alloy_primitives::{Bytes, Signature, eip191_hash_message};

    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    let signer = key(1);
    let from = signer.address();
    // Without dev signers the node holds no keys, as geth without accounts.
    assert_eq!(call(&url, "eth_accounts", json!([])).await["result"], json!([]));
    let refused =
        call(&url, "eth_sendTransaction", json!([{"from": from, "to": Address::ZERO}])).await;
    assert_eq!(message(&refused), "unknown account");

    l1.node.rpc().accounts().set_signers(vec![key(1), key(2)]);
    assert_eq!(
        call(&url, "eth_accounts", json!([])).await["result"],
        json!([from, key(2).address()])
    );
    // Back-to-back sends: the node fills nonces from the pool.
    let to = Address::repeat_byte(0xaa);
    let mut hashes = Vec::new();
    for _ in 0..3 {
        let sent =
            call(&url, "eth_sendTransaction", json!([{"from": from, "to": to, "value": "0x7"}]))
                .await;
        hashes.push(sent["result"].as_str().expect("a hash").to_string());
    }
    for hash in &hashes {
        let receipt = loop {
            let r = call(&url, "eth_getTransactionReceipt", json!([hash])).await;
            if !r["result"].is_null() {
                break r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!(receipt["result"]["status"], "0x1");
    }
    let balance = call(&url, "eth_getBalance", json!([to])).await;
    assert_eq!(balance["result"], "0x15");

    // eth_signTransaction: an ordinary signed transaction from the account.
    let raw =
        call(&url, "eth_signTransaction", json!([{"from": from, "to": to, "gas": "0x5208"}])).await;
    let raw: Bytes = serde_json::from_value(raw["result"].clone()).unwrap();
    let tx = TxEnvelope::decode_2718(&mut raw.as_ref()).unwrap();
    assert_eq!(tx.recover_signer().unwrap(), from);
    assert_eq!(tx.nonce(), 3);
    assert_eq!(tx.chain_id(), Some(900));

    // eth_sign and personal_sign: EIP-191 signatures by the account.
    let data = Bytes::from_static(b"hello");
    for (method, params) in
        [("eth_sign", json!([from, data])), ("personal_sign", json!([data, from]))]
    {
        let out = call(&url, method, params).await;
        let sig: Bytes = serde_json::from_value(out["result"].clone()).unwrap();
        let sig = Signature::try_from(sig.as_ref()).unwrap();
        let hash = eip191_hash_message(&data);
        assert_eq!(sig.recover_address_from_prehash(&hash).unwrap(), from, "{method}");
    }
    let typed = json!({
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
            "Mail": [{"name": "contents", "type": "string"}]
        },
        "primaryType": "Mail",
        "domain": {"name": "Test", "chainId": 900},
        "message": {"contents": "hi"}
    });
    let out = call(&url, "eth_signTypedData_v4", json!([from, typed.to_string()])).await;
    let sig: Bytes = serde_json::from_value(out["result"].clone()).expect("a signature");
    let sig = Signature::try_from(sig.as_ref()).unwrap();
    let typed: alloy_dyn_abi::TypedData = serde_json::from_value(typed).unwrap();
    let hash = typed.eip712_signing_hash().unwrap();
    assert_eq!(sig.recover_address_from_prehash(&hash).unwrap(), from);

    // Impersonation: a funded account whose key the node does not hold.
    let other = key(3).address();
    let send = json!([{"from": other, "to": to, "value": "0x1"}]);
    assert_eq!(message(&call(&url, "eth_sendTransaction", send.clone()).await), "unknown account");
    call(&url, "anvil_impersonateAccount", json!([other])).await;
    let sent = call(&url, "eth_sendTransaction", send.clone()).await;
    assert!(sent["result"].is_string(), "{sent}");
    loop {
        let nonce = call(&url, "eth_getTransactionCount", json!([other, "latest"])).await;
        if nonce["result"] == "0x1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    call(&url, "anvil_stopImpersonatingAccount", json!([other])).await;
    assert_eq!(message(&call(&url, "eth_sendTransaction", send.clone()).await), "unknown account");
    call(&url, "anvil_autoImpersonateAccount", json!([true])).await;
    assert!(call(&url, "eth_sendTransaction", send).await["result"].is_string());
    l1.shutdown().await;
}

async fn mined(url: &str, hash: &Value) -> Value {
    loop {
        let r = call(url, "eth_getTransactionReceipt", json!([hash])).await;
        if !r["result"].is_null() {
            return r["result"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_deliver_each_change_once() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    l1.node.rpc().accounts().set_signers(vec![key(1)]);
    let from = key(1).address();
    // A contract that emits one LOG0 per call.
    let emitter = Address::repeat_byte(0xee);
    call(&url, "anvil_setCode", json!([emitter, "0x60006000a000"])).await;
    let logs = call(&url, "eth_newFilter", json!([{"address": emitter}])).await["result"].clone();
    let other = call(&url, "eth_newFilter", json!([{"address": from}])).await["result"].clone();
    let blocks = call(&url, "eth_newBlockFilter", json!([])).await["result"].clone();
    let pending = call(&url, "eth_newPendingTransactionFilter", json!([])).await["result"].clone();
    let changes = |id: &Value| call(&url, "eth_getFilterChanges", json!([id]));

    let hash =
        call(&url, "eth_sendTransaction", json!([{"from": from, "to": emitter}])).await["result"]
            .clone();
    let receipt = mined(&url, &hash).await;
    let first = changes(&logs).await["result"].clone();
    assert_eq!(first.as_array().unwrap().len(), 1, "{first}");
    assert_eq!(first[0]["transactionHash"], hash);
    assert_eq!(changes(&logs).await["result"], json!([]), "delivered once");
    assert_eq!(changes(&other).await["result"], json!([]), "address filter");
    let new_blocks = changes(&blocks).await["result"].clone();
    assert!(new_blocks.as_array().unwrap().contains(&receipt["blockHash"]), "{new_blocks}");
    assert_eq!(changes(&blocks).await["result"], json!([]));
    assert_eq!(changes(&pending).await["result"], json!([hash]));
    assert_eq!(changes(&pending).await["result"], json!([]));
    // eth_getFilterLogs answers the whole query again.
    let all = call(&url, "eth_getFilterLogs", json!([logs])).await["result"].clone();
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(call(&url, "eth_uninstallFilter", json!([logs])).await["result"], true);
    assert_eq!(call(&url, "eth_uninstallFilter", json!([logs])).await["result"], false);
    assert_eq!(message(&changes(&logs).await), "filter not found");
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_serves_methods_and_subscriptions_and_drops_no_block() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::{connect_async, tungstenite::Message};

    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    let ws_url = format!("ws://{}", l1.rpc_addr);
    l1.node.rpc().accounts().set_signers(vec![key(1)]);
    let from = key(1).address();
    let emitter = Address::repeat_byte(0xee);
    call(&url, "anvil_setCode", json!([emitter, "0x60006000a000"])).await;

    // A subscriber that never reads: block production must not wait for it.
    let (mut slow, _) = connect_async(&ws_url).await.unwrap();
    slow.send(Message::text(
        json!({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}).to_string(),
    ))
    .await
    .unwrap();

    let (mut ws, _) = connect_async(&ws_url).await.unwrap();
    let mut next_id = 0;
    let mut request =
        async |ws: &mut tokio_tungstenite::WebSocketStream<_>, method: &str, params: Value| {
            next_id += 1;
            let body = json!({"jsonrpc":"2.0","id":next_id,"method":method,"params":params});
            ws.send(Message::text(body.to_string())).await.unwrap();
            loop {
                let Some(Ok(Message::Text(text))) = ws.next().await else { panic!("closed") };
                let v: Value = serde_json::from_str(&text).unwrap();
                if v["id"] == json!(next_id) {
                    return v["result"].clone();
                }
            }
        };
    assert_eq!(request(&mut ws, "eth_chainId", json!([])).await, "0x384");
    let heads = request(&mut ws, "eth_subscribe", json!(["newHeads"])).await;
    let logs = request(&mut ws, "eth_subscribe", json!(["logs", {"address": emitter}])).await;
    let txs = request(&mut ws, "eth_subscribe", json!(["newPendingTransactions", true])).await;
    let hashes = request(&mut ws, "eth_subscribe", json!(["newPendingTransactions"])).await;

    let hash =
        call(&url, "eth_sendTransaction", json!([{"from": from, "to": emitter}])).await["result"]
            .clone();
    let receipt = mined(&url, &hash).await;
    // One more block, so that a duplicate log would show before its header.
    call(&url, "evm_mine", json!([])).await;
    let mut seen: Vec<(Value, Value)> = Vec::new();
    let last_block = format!(
        "{:#x}",
        u64::from_str_radix(receipt["blockNumber"].as_str().unwrap().trim_start_matches("0x"), 16)
            .unwrap()
            + 1
    );
    loop {
        let Some(Ok(Message::Text(text))) = ws.next().await else { panic!("closed") };
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["method"], "eth_subscription");
        let (sub, result) = (v["params"]["subscription"].clone(), v["params"]["result"].clone());
        let done = sub == heads && result["number"] == json!(last_block);
        seen.push((sub, result));
        if done {
            break;
        }
    }
    let of = |id: &Value| {
        seen.iter().filter(|(s, _)| s == id).map(|(_, r)| r.clone()).collect::<Vec<_>>()
    };
    let log_events = of(&logs);
    assert_eq!(log_events.len(), 1, "one log, once: {log_events:?}");
    assert_eq!(log_events[0]["transactionHash"], hash);
    assert_eq!(of(&txs)[0]["hash"], hash);
    assert_eq!(of(&hashes), vec![hash.clone()]);
    let numbers: Vec<Value> = of(&heads).iter().map(|h| h["number"].clone()).collect();
    assert_eq!(numbers, vec![receipt["blockNumber"].clone(), json!(last_block)]);
    assert_eq!(of(&heads)[0]["hash"], receipt["blockHash"]);
    assert_eq!(request(&mut ws, "eth_unsubscribe", json!([logs])).await, true);
    assert_eq!(request(&mut ws, "eth_unsubscribe", json!([logs])).await, false);

    // Many blocks while the slow subscriber reads nothing: mining completes.
    let before = l1.node.chain().head_number();
    call(&url, "anvil_mine", json!(["0x1f4"])).await;
    assert_eq!(l1.node.chain().head_number(), before + 500);
    assert_eq!(
        request(&mut ws, "eth_blockNumber", json!([])).await,
        json!(format!("{:#x}", before + 500))
    );
    drop(slow);
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_take_state_and_block_overrides_and_access_lists() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    let broke = key(9).address();
    let target = Address::repeat_byte(0x42);
    let word = |n: u64| format!("0x{n:064x}");
    // Balance override: a broke sender can send value.
    let tx = json!({"from": broke, "to": target, "value": "0x100"});
    assert!(
        message(&call(&url, "eth_call", json!([tx, "latest"])).await)
            .starts_with("insufficient funds")
    );
    let rich = json!({ broke.to_string(): {"balance": "0xffffffffffff"} });
    assert_eq!(call(&url, "eth_call", json!([tx, "latest", rich])).await["result"], "0x");
    assert_eq!(
        call(&url, "eth_estimateGas", json!([tx, "latest", rich])).await["result"],
        "0x5208"
    );
    // Code override: PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN.
    let code = json!({ target.to_string(): {"code": "0x602a60005260206000f3"} });
    let out = call(&url, "eth_call", json!([{"to": target}, "latest", code])).await;
    assert_eq!(out["result"], word(42));
    // stateDiff: SLOAD(0) returned.
    let sload = json!({ target.to_string(): {"code": "0x60005460005260206000f3", "stateDiff": {word(0): word(7)}} });
    assert_eq!(
        call(&url, "eth_call", json!([{"to": target}, "latest", sload])).await["result"],
        word(7)
    );
    let both = json!({ target.to_string(): {"state": {}, "stateDiff": {}} });
    assert_eq!(
        message(&call(&url, "eth_call", json!([{"to": target}, "latest", both])).await),
        format!("account {target} has both 'state' and 'stateDiff'")
    );
    // Block override: NUMBER returned.
    let number = json!({ target.to_string(): {"code": "0x4360005260206000f3"} });
    let out =
        call(&url, "eth_call", json!([{"to": target}, "latest", number, {"number": "0x1234"}]))
            .await;
    assert_eq!(out["result"], word(0x1234));
    // Nothing leaked into the chain.
    assert_eq!(call(&url, "eth_getCode", json!([target, "latest"])).await["result"], "0x");

    // eth_createAccessList: BALANCE of another account puts it in the list.
    let other = Address::repeat_byte(0x77);
    let mut code = vec![0x73];
    code.extend_from_slice(other.as_slice());
    code.extend_from_slice(&[0x31, 0x00]);
    call(&url, "anvil_setCode", json!([target, alloy_primitives::Bytes::from(code)])).await;
    let list = call(&url, "eth_createAccessList", json!([{"from": broke, "to": target}])).await;
    assert_eq!(
        list["result"]["accessList"],
        json!([{"address": other, "storageKeys": []}]),
        "{list}"
    );
    assert!(list["result"]["gasUsed"].as_str().unwrap().starts_with("0x"));
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predeploys_serve_multicall_create2_and_block_hash_history() {
    use alloy_primitives::{B256, Bytes, keccak256};
    use alloy_sol_types::{SolCall, sol};
    sol! {
        struct Call3 { address target; bool allowFailure; bytes callData; }
        struct Result3 { bool success; bytes returnData; }
        function aggregate3(Call3[] calls) returns (Result3[] returnData);
        function getBlockNumber() returns (uint256 blockNumber);
    }
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    for (address, code) in rollup_protocol::predeploys() {
        let got = call(&url, "eth_getCode", json!([address, "latest"])).await;
        assert_eq!(got["result"], json!(code));
    }
    call(&url, "evm_mine", json!([])).await;
    call(&url, "evm_mine", json!([])).await;
    // Multicall3: one call that reads the block number through the contract.
    let inner = Call3 {
        target: rollup_protocol::MULTICALL3,
        allowFailure: false,
        callData: getBlockNumberCall {}.abi_encode().into(),
    };
    let data = Bytes::from(aggregate3Call { calls: vec![inner] }.abi_encode());
    let out =
        call(&url, "eth_call", json!([{"to": rollup_protocol::MULTICALL3, "data": data}])).await;
    let out: Bytes = serde_json::from_value(out["result"].clone()).unwrap();
    let results = aggregate3Call::abi_decode_returns(&out).unwrap();
    assert!(results[0].success);
    // CREATE2 deployer: salt || initcode deploys at the CREATE2 address.
    l1.node.rpc().accounts().set_signers(vec![key(1)]);
    let initcode = hex_bytes("0x600a600c600039600a6000f3602a60005260206000f3");
    let salt = B256::repeat_byte(7);
    let mut input = salt.to_vec();
    input.extend_from_slice(&initcode);
    let sent = call(
        &url,
        "eth_sendTransaction",
        json!([{"from": key(1).address(), "to": rollup_protocol::CREATE2_DEPLOYER, "data": Bytes::from(input)}]),
    )
    .await;
    assert_eq!(mined(&url, &sent["result"]).await["status"], "0x1");
    let deployed = rollup_protocol::CREATE2_DEPLOYER.create2(salt, keccak256(&initcode));
    let code = call(&url, "eth_getCode", json!([deployed, "latest"])).await;
    assert_eq!(code["result"], "0x602a60005260206000f3");
    // EIP-2935: the history contract returns the hash of a past block.
    let head = l1.node.chain().head_number();
    let parent = l1.node.chain().recent_block(head - 1).unwrap().hash;
    let query = Bytes::from(B256::from(alloy_primitives::U256::from(head - 1)).to_vec());
    let got =
        call(&url, "eth_call", json!([{"to": rollup_protocol::HISTORY_STORAGE, "data": query}]))
            .await;
    assert_eq!(got["result"], json!(parent), "{got}");
    l1.shutdown().await;
}

fn hex_bytes(s: &str) -> Vec<u8> {
    alloy_primitives::hex::decode(s).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn tracers_of_revm_inspectors_trace_calls() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    let from = key(1).address();
    let target = Address::repeat_byte(0x42);
    let word = |n: u64| format!("0x{n:064x}");
    // PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    call(&url, "anvil_setCode", json!([target, "0x602a60005260206000f3"])).await;
    let data = format!("0x12345678{}", "00".repeat(32));
    let tx = json!({"from": from, "to": target, "data": data, "value": "0x5"});
    let trace = |opts: Value| call(&url, "debug_traceCall", json!([tx, "latest", opts]));

    let logger = trace(json!({})).await["result"].clone();
    let ops: Vec<&str> = logger["structLogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["PUSH1", "PUSH1", "MSTORE", "PUSH1", "PUSH1", "RETURN"], "{logger}");
    assert_eq!(logger["failed"], false);

    let calls = trace(json!({"tracer": "callTracer"})).await["result"].clone();
    assert_eq!(calls["type"], "CALL", "{calls}");
    assert_eq!(calls["to"], json!(target));
    assert_eq!(calls["output"], word(42));

    let pre = trace(json!({"tracer": "prestateTracer"})).await["result"].clone();
    assert!(pre[from.to_string().to_lowercase()]["balance"].is_string(), "{pre}");
    let diff = trace(json!({"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}})).await
        ["result"]
        .clone();
    let post_balance = &diff["post"][target.to_string().to_lowercase()]["balance"];
    assert_eq!(post_balance, "0x5", "{diff}");

    let four = trace(json!({"tracer": "4byteTracer"})).await["result"].clone();
    assert_eq!(four, json!({"0x12345678-32": 1}));
    assert_eq!(trace(json!({"tracer": "noopTracer"})).await["result"], json!({}));
    // State overrides apply to traced calls too.
    let other = Address::repeat_byte(0x43);
    let overridden = call(
        &url,
        "debug_traceCall",
        json!([{"to": other}, "latest", {"tracer": "callTracer", "stateOverrides": {other.to_string(): {"code": "0x602a60005260206000f3"}}}]),
    )
    .await;
    assert_eq!(overridden["result"]["output"], word(42), "{overridden}");

    let parity = call(&url, "trace_call", json!([tx, ["trace", "stateDiff"], "latest"])).await;
    assert_eq!(parity["result"]["output"], word(42), "{parity}");
    assert_eq!(parity["result"]["trace"][0]["type"], "call");
    assert!(parity["result"]["stateDiff"].is_object());

    l1.shutdown().await;
}

/// Runtime code that CALLs `to` with no data and returns the 32 bytes it
/// returned: `PUSH1 32 PUSH1 0 PUSH1 0 PUSH1 0 PUSH1 0 PUSH20 to GAS CALL
/// POP PUSH1 32 PUSH1 0 RETURN`.
pub(crate) fn forwarder(to: Address) -> String {
    format!("0x6020600060006000600073{}5af15060206000f3", alloy_primitives::hex::encode(to))
}

#[tokio::test(flavor = "multi_thread")]
async fn past_transactions_and_blocks_are_traced_by_replaying_their_block() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    let signer = key(1);
    let from = signer.address();
    let (outer, inner) = (Address::repeat_byte(0x0a), Address::repeat_byte(0x0b));
    // Code set by a dev method is recorded with the next block: the replay
    // of that block must see it.
    call(&url, "anvil_setCode", json!([inner, "0x602a60005260206000f3"])).await;
    call(&url, "anvil_setCode", json!([outer, forwarder(inner)])).await;
    // Two transactions of one sender in one block: the second replays only
    // on top of the first (its nonce).
    call(&url, "anvil_setAutomine", json!([false])).await;
    let first = crate::signed(crate::transfer(0, Address::repeat_byte(5), crate::eth(1)), &signer);
    let mut second = crate::transfer(1, outer, alloy_primitives::U256::from(7));
    second.gas_limit = 100_000;
    second.input =
        alloy_primitives::hex::decode(format!("12345678{}", "00".repeat(32))).unwrap().into();
    let second = crate::signed(second, &signer);
    let first = call(&url, "eth_sendRawTransaction", json!([first])).await["result"].clone();
    let hash = call(&url, "eth_sendRawTransaction", json!([second])).await["result"].clone();
    call(&url, "evm_mine", json!([])).await;
    let receipt = mined(&url, &hash).await;
    assert_eq!(receipt["transactionIndex"], "0x1", "{receipt}");
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let block = receipt["blockNumber"].clone();
    let trace = |opts: Value| call(&url, "debug_traceTransaction", json!([hash, opts]));

    // The struct logger: the forwarder's opcodes, the callee's one level
    // deeper, and the receipt's gas.
    let logger = trace(json!({})).await["result"].clone();
    assert_eq!(
        logger["gas"].as_u64().map(|g| format!("{g:#x}")),
        receipt["gasUsed"].as_str().map(String::from),
        "{logger}"
    );
    assert_eq!(logger["failed"], false);
    assert!(logger["returnValue"].as_str().unwrap().ends_with("2a"), "{logger}");
    let logs = logger["structLogs"].as_array().unwrap();
    let ops: Vec<(&str, u64)> =
        logs.iter().map(|l| (l["op"].as_str().unwrap(), l["depth"].as_u64().unwrap())).collect();
    assert_eq!(&ops[..3], [("PUSH1", 1), ("PUSH1", 1), ("PUSH1", 1)]);
    let call_at = ops.iter().position(|o| *o == ("CALL", 1)).expect("a CALL");
    assert_eq!(ops[call_at + 1], ("PUSH1", 2), "{ops:?}");
    assert_eq!(ops.last(), Some(&("RETURN", 1)));
    assert!(logs.iter().all(|l| l["gasCost"].is_u64() && l["gas"].is_u64()));

    // callTracer: the call and the call it made.
    let calls = trace(json!({"tracer": "callTracer"})).await["result"].clone();
    assert_eq!(calls["type"], "CALL", "{calls}");
    assert_eq!(calls["from"], json!(from));
    assert_eq!(calls["to"], json!(outer));
    assert_eq!(calls["value"], "0x7");
    assert_eq!(calls["gasUsed"], receipt["gasUsed"]);
    assert_eq!(calls["calls"][0]["type"], "CALL");
    assert_eq!(calls["calls"][0]["from"], json!(outer));
    assert_eq!(calls["calls"][0]["to"], json!(inner));
    assert_eq!(calls["calls"][0]["output"], format!("0x{:064x}", 42));

    // prestateTracer in diff mode: the sender's nonce 1 -> 2 (the first
    // transaction of the block was replayed) and its balance down.
    let diff = trace(json!({"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}})).await
        ["result"]
        .clone();
    let sender = from.to_string().to_lowercase();
    assert_eq!(diff["pre"][&sender]["nonce"], 1, "{diff}");
    assert_eq!(diff["post"][&sender]["nonce"], 2, "{diff}");
    let balance = |v: &Value| {
        alloy_primitives::U256::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16)
            .unwrap()
    };
    assert!(balance(&diff["post"][&sender]["balance"]) < balance(&diff["pre"][&sender]["balance"]));
    assert_eq!(diff["post"][outer.to_string().to_lowercase()]["balance"], "0x7", "{diff}");
    let pre = trace(json!({"tracer": "prestateTracer"})).await["result"].clone();
    assert_eq!(pre[outer.to_string().to_lowercase()]["code"], forwarder(inner), "{pre}");

    assert_eq!(
        trace(json!({"tracer": "4byteTracer"})).await["result"],
        json!({"0x12345678-32": 1})
    );
    assert_eq!(trace(json!({"tracer": "noopTracer"})).await["result"], json!({}));

    // parity: the call and its subcall, located in the block.
    let parity = call(&url, "trace_transaction", json!([hash])).await["result"].clone();
    let traces = parity.as_array().expect("traces");
    assert_eq!(traces.len(), 2, "{parity}");
    assert_eq!(traces[0]["type"], "call");
    assert_eq!(traces[0]["action"]["to"], json!(outer));
    assert_eq!(traces[0]["subtraces"], 1);
    assert_eq!(traces[0]["transactionHash"], hash);
    assert_eq!(traces[0]["transactionPosition"], 1);
    assert_eq!(
        traces[0]["blockNumber"].as_u64().map(|n| format!("{n:#x}")),
        block.as_str().map(String::from)
    );
    assert_eq!(traces[1]["traceAddress"], json!([0]));
    assert_eq!(traces[1]["action"]["to"], json!(inner));

    // Whole blocks: one result per transaction, in order.
    let by_number =
        call(&url, "debug_traceBlockByNumber", json!([block, {"tracer": "callTracer"}])).await;
    let results = by_number["result"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{by_number}");
    assert_eq!(results[0]["txHash"], first);
    assert_eq!(results[0]["result"]["type"], "CALL");
    assert_eq!(results[1]["txHash"], hash);
    assert_eq!(results[1]["result"], calls);
    let block_hash = receipt["blockHash"].clone();
    let by_hash =
        call(&url, "debug_traceBlockByHash", json!([block_hash, {"tracer": "callTracer"}])).await;
    assert_eq!(by_hash["result"], by_number["result"]);
    let parity_block = call(&url, "trace_block", json!([block])).await["result"].clone();
    assert_eq!(parity_block.as_array().map(Vec::len), Some(3), "{parity_block}");
    assert_eq!(parity_block[0]["transactionHash"], first);
    // An empty block and the genesis block have nothing to trace.
    call(&url, "evm_mine", json!([])).await;
    let empty = call(&url, "debug_traceBlockByNumber", json!(["latest"])).await;
    assert_eq!(empty["result"], json!([]), "{empty}");
    let genesis = call(&url, "trace_block", json!(["0x0"])).await;
    assert_eq!(genesis["result"], json!([]), "{genesis}");
    let unknown = call(&url, "debug_traceTransaction", json!([alloy_primitives::B256::ZERO])).await;
    assert!(message(&unknown).contains("not found"), "{unknown}");
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_block_whose_parent_state_is_pruned_is_not_traced() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("l1.db").display());
    let mut config =
        rollup_l1_sim::L1Config::for_tests(url, vec![(key(1).address(), crate::eth(10))]);
    config.history_blocks = Some(1);
    let l1 = rollup_l1_sim::spawn(config).await.unwrap();
    let url = l1.rpc_url();
    let raw = crate::signed(crate::transfer(0, Address::repeat_byte(5), crate::eth(1)), &key(1));
    let hash = call(&url, "eth_sendRawTransaction", json!([raw])).await["result"].clone();
    mined(&url, &hash).await;
    // The block right after the one with the state kept can still be traced.
    assert_eq!(
        call(&url, "debug_traceTransaction", json!([hash, {"tracer": "callTracer"}])).await["result"]
            ["type"],
        "CALL"
    );
    for _ in 0..3 {
        call(&url, "evm_mine", json!([])).await;
    }
    let pruned = call(&url, "debug_traceTransaction", json!([hash])).await;
    assert_eq!(message(&pruned), "historical state not available", "{pruned}");
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_methods_control_mining_and_round_trip_state() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    let from = key(1).address();
    // Manual mining: a transaction waits for anvil_mine.
    call(&url, "anvil_setAutomine", json!([false])).await;
    assert_eq!(call(&url, "anvil_getAutomine", json!([])).await["result"], false);
    let mut tx = crate::transfer(0, Address::repeat_byte(5), alloy_primitives::U256::from(9));
    tx.max_fee_per_gas = 100_000_000_000;
    let raw = crate::signed(tx, &key(1));
    let hash = call(&url, "eth_sendRawTransaction", json!([raw])).await["result"].clone();
    let before = l1.node.chain().head_number();
    assert_eq!(call(&url, "eth_getTransactionReceipt", json!([hash])).await["result"], Value::Null);
    let pending = call(&url, "eth_getTransactionBySenderAndNonce", json!([from, "0x0"])).await;
    assert_eq!(pending["result"]["hash"], hash);
    assert_eq!(
        call(&url, "eth_getRawTransactionByHash", json!([hash])).await["result"],
        json!(raw)
    );
    // A chosen base fee for the next block, then three blocks at once.
    call(&url, "anvil_setNextBlockBaseFeePerGas", json!(["0x3b9aca07"])).await;
    call(&url, "anvil_mine", json!(["0x3"])).await;
    assert_eq!(l1.node.chain().head_number(), before + 3);
    let first = l1.node.chain().recent_block(before + 1).unwrap().clone();
    assert_eq!(first.header.base_fee_per_gas, Some(1_000_000_007));
    assert_eq!(first.transactions.len(), 1);
    let mined_tx = call(&url, "eth_getTransactionBySenderAndNonce", json!([from, "0x0"])).await;
    assert_eq!(mined_tx["result"]["blockNumber"], json!(format!("{:#x}", before + 1)));
    let info = call(&url, "anvil_nodeInfo", json!([])).await["result"].clone();
    assert_eq!(info["currentBlockNumber"], json!(before + 3));
    assert_eq!(info["environment"]["chainId"], 900);
    let account = call(&url, "eth_getAccount", json!([from, "latest"])).await["result"].clone();
    assert_eq!(account["nonce"], "0x1");
    // Back to automine; eth_sendRawTransactionSync returns the receipt.
    call(&url, "anvil_setAutomine", json!([true])).await;
    let raw = crate::signed(
        crate::transfer(1, Address::repeat_byte(5), alloy_primitives::U256::from(1)),
        &key(1),
    );
    let receipt = call(&url, "eth_sendRawTransactionSync", json!([raw])).await;
    assert_eq!(receipt["result"]["status"], "0x1", "{receipt}");

    // anvil_dumpState / anvil_loadState round-trip into a fresh chain.
    let target = Address::repeat_byte(0x42);
    call(&url, "anvil_setCode", json!([target, "0x6001"])).await;
    call(&url, "anvil_setStorageAt", json!([target, "0x1", format!("0x{:064x}", 77)])).await;
    let dump = call(&url, "anvil_dumpState", json!([])).await["result"].clone();
    let dir2 = tempfile::tempdir().unwrap();
    let other = start(dir2.path(), None).await;
    let url2 = other.rpc_url();
    assert_eq!(call(&url2, "anvil_loadState", json!([dump])).await["result"], true);
    for (method, params) in [
        ("eth_getBalance", json!([Address::repeat_byte(5), "latest"])),
        ("eth_getTransactionCount", json!([from, "latest"])),
        ("eth_getCode", json!([target, "latest"])),
        ("eth_getStorageAt", json!([target, "0x1", "latest"])),
    ] {
        let (a, b) = (call(&url, method, params.clone()).await, call(&url2, method, params).await);
        assert_eq!(a["result"], b["result"], "{method}");
    }
    other.shutdown().await;
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn simulate_v1_chains_blocks_with_overrides_and_geths_errors() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let url = l1.rpc_url();
    let head = l1.node.chain().head_number();
    let (returns42, payee) = (Address::repeat_byte(0x42), Address::repeat_byte(0x77));
    let broke = Address::repeat_byte(0xde);
    // PUSH20 payee BALANCE PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let balance_of = format!("0x73{}3160005260206000f3", alloy_primitives::hex::encode(payee));
    let reverts = "0x60006000fd"; // PUSH1 0 PUSH1 0 REVERT
    let sim = |payload: Value| call(&url, "eth_simulateV1", json!([payload, "latest"]));
    let out = sim(json!({
        "traceTransfers": true,
        "blockStateCalls": [
            {
                "stateOverrides": {
                    returns42.to_string(): {"code": "0x602a60005260206000f3"},
                    broke.to_string(): {"balance": "0xde0b6b3a7640000"},
                },
                "calls": [
                    {"from": broke, "to": returns42},
                    {"from": broke, "to": payee, "value": "0x64"},
                ],
            },
            {
                "blockOverrides": {"number": format!("{:#x}", head + 3), "time": "0xffffffff"},
                "stateOverrides": {Address::repeat_byte(0x01).to_string(): {"code": balance_of}, Address::repeat_byte(0x02).to_string(): {"code": reverts}},
                "calls": [
                    {"to": Address::repeat_byte(0x01)},
                    {"to": Address::repeat_byte(0x02)},
                ],
            },
        ],
    }))
    .await;
    let blocks = out["result"].as_array().unwrap_or_else(|| panic!("{out}"));
    // Block head+2 is a gap, filled with an empty block.
    assert_eq!(blocks.len(), 3, "{out}");
    let number = |b: &Value| {
        u64::from_str_radix(b["number"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    assert_eq!(blocks.iter().map(number).collect::<Vec<_>>(), [head + 1, head + 2, head + 3]);
    assert_eq!(blocks[1]["parentHash"], blocks[0]["hash"]);
    assert_eq!(blocks[2]["parentHash"], blocks[1]["hash"]);
    assert_eq!(blocks[1]["calls"], json!([]));
    assert_eq!(blocks[2]["timestamp"], "0xffffffff");
    let calls = &blocks[0]["calls"];
    assert_eq!(calls[0]["status"], "0x1", "{calls}");
    assert_eq!(calls[0]["returnData"], format!("0x{:064x}", 42));
    assert_eq!(calls[1]["status"], "0x1");
    assert_eq!(calls[1]["gasUsed"], "0x5208");
    // traceTransfers: the ETH transfer as an ERC-7528 log.
    let log = &calls[1]["logs"][0];
    assert_eq!(log["address"], "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "{calls}");
    assert_eq!(log["topics"][1], json!(broke.into_word()));
    assert_eq!(log["topics"][2], json!(payee.into_word()));
    assert_eq!(log["blockHash"], blocks[0]["hash"]);
    assert_eq!(blocks[0]["transactions"].as_array().map(Vec::len), Some(2));
    // State carries from block to block: the payee's balance, then a revert.
    let calls = &blocks[2]["calls"];
    assert_eq!(calls[0]["returnData"], format!("0x{:064x}", 100), "{calls}");
    assert_eq!(calls[1]["status"], "0x0");
    assert_eq!(calls[1]["error"]["code"], -32000);
    assert_eq!(calls[1]["error"]["message"], "execution reverted");
    // Nothing was kept.
    assert_eq!(l1.node.chain().head_number(), head);
    assert_eq!(call(&url, "eth_getBalance", json!([payee, "latest"])).await["result"], "0x0");

    // geth's errors.
    let code = |v: &Value| v["error"]["code"].as_i64();
    let from = key(1).address();
    let stale = sim(json!({"validation": true, "blockStateCalls": [{"calls": [{"from": from, "to": payee, "nonce": "0x5", "maxFeePerGas": "0x174876e800"}]}]})).await;
    assert_eq!(code(&stale), Some(-38011), "{stale}");
    let unordered =
        sim(json!({"blockStateCalls": [{"blockOverrides": {"number": format!("{head:#x}")}}]}))
            .await;
    assert_eq!(code(&unordered), Some(-38020), "{unordered}");
    assert_eq!(message(&unordered), format!("block numbers must be in order: {head} <= {head}"));
    let too_far = sim(
        json!({"blockStateCalls": [{"blockOverrides": {"number": format!("{:#x}", head + 257)}}]}),
    )
    .await;
    assert_eq!(code(&too_far), Some(-38026), "{too_far}");
    let many: Vec<Value> = (0..257).map(|_| json!({})).collect();
    let too_many = sim(json!({"blockStateCalls": many})).await;
    assert_eq!(code(&too_many), Some(-38026));
    assert_eq!(message(&too_many), "too many blocks");
    l1.shutdown().await;
}
