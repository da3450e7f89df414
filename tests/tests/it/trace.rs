//! Tracing past L2 transactions and blocks: the block replayed through the
//! STF on its parent's state (deposits traced as transactions, the L1 data
//! fee in the fee vault's balance change).

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::Encodable2718,
    network::TxSignerSync,
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, Bytes, TxKind, U256, utils::parse_ether};
use rollup::devnet::{self, DevnetConfig};
use rollup_client::dev::dev_account;
use rollup_protocol::{BASE_FEE_VAULT, L1_FEE_VAULT, UserDeposit};
use serde_json::{Value, json};
use std::time::Duration;

async fn call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    reqwest::Client::new().post(url).json(&body).send().await.unwrap().json().await.unwrap()
}

/// Waits (at most 60 s) for the receipt of `hash`.
async fn receipt(url: &str, hash: &Value) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = call(url, "eth_getTransactionReceipt", json!([hash])).await;
        if !r["result"].is_null() {
            return r["result"].clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no receipt for {hash}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn signed(signer: &PrivateKeySigner, nonce: u64, to: TxKind, value: U256, input: Bytes) -> Bytes {
    let mut tx = TxEip1559 {
        chain_id: 901,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to,
        value,
        access_list: Default::default(),
        input,
    };
    let sig = signer.sign_transaction_sync(&mut tx).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718().into()
}

/// Init code that deploys `runtime` (at most 255 bytes).
fn deploy_code(runtime: &[u8]) -> Bytes {
    let n = runtime.len() as u8;
    let mut code = vec![0x60, n, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, n, 0x60, 0x00, 0xf3];
    code.extend_from_slice(runtime);
    code.into()
}

/// Runtime code that CALLs `to` with no data and returns the 32 bytes it returned.
fn forwarder(to: Address) -> Vec<u8> {
    let mut code = alloy_primitives::hex::decode("6020600060006000600073").unwrap();
    code.extend_from_slice(to.as_slice());
    code.extend(alloy_primitives::hex::decode("5af15060206000f3").unwrap());
    code
}

fn word(v: &Value) -> U256 {
    v.as_str()
        .map(|s| U256::from_str_radix(s.trim_start_matches("0x"), 16).unwrap())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn past_l2_transactions_deposits_and_blocks_are_traced_through_the_stf() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet::spawn(DevnetConfig::for_tests(dir.path().to_path_buf())).await.unwrap();
    let url = net.sequencer.rpc_url();
    let alice = dev_account(0);
    let from = alice.address();
    let one = parse_ether("1").unwrap();

    // A deposit is traced like a transaction: its mint is the sender's
    // balance change.
    let l1_receipt = crate::common::deposit_from_dev_account(&net, 0, one).await;
    let event = l1_receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| {
            <rollup_contracts::Bridge::TransactionDeposited as alloy::sol_types::SolEvent>::decode_log(&l.inner).ok()
        })
        .expect("TransactionDeposited");
    let deposit = json!(UserDeposit::from(&event.data).to_tx().tx_hash());
    let deposit_receipt = receipt(&url, &deposit).await;
    assert_eq!(deposit_receipt["type"], "0x7e");
    let traced =
        call(&url, "debug_traceTransaction", json!([deposit, {"tracer": "callTracer"}])).await;
    assert_eq!(traced["result"]["type"], "CALL", "{traced}");
    assert_eq!(traced["result"]["from"], json!(from));
    assert_eq!(word(&traced["result"]["value"]), one);
    let diff = call(
        &url,
        "debug_traceTransaction",
        json!([deposit, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}]),
    )
    .await["result"]
        .clone();
    let sender = from.to_string().to_lowercase();
    assert_eq!(word(&diff["pre"][&sender]["balance"]), U256::ZERO, "{diff}");
    assert_eq!(word(&diff["post"][&sender]["balance"]), one, "{diff}");

    // Two contracts: `outer` forwards to `inner`, which returns 42 (the
    // deposit bumped alice's nonce).
    let nonce =
        call(&url, "eth_getTransactionCount", json!([from, "latest"])).await["result"].clone();
    let nonce = word(&nonce).to::<u64>();
    let inner_create = signed(
        &alice,
        nonce,
        TxKind::Create,
        U256::ZERO,
        deploy_code(&alloy_primitives::hex::decode("602a60005260206000f3").unwrap()),
    );
    let hash = call(&url, "eth_sendRawTransaction", json!([inner_create])).await["result"].clone();
    let inner: Address =
        serde_json::from_value(receipt(&url, &hash).await["contractAddress"].clone()).unwrap();
    let outer_create =
        signed(&alice, nonce + 1, TxKind::Create, U256::ZERO, deploy_code(&forwarder(inner)));
    let hash = call(&url, "eth_sendRawTransaction", json!([outer_create])).await["result"].clone();
    let outer: Address =
        serde_json::from_value(receipt(&url, &hash).await["contractAddress"].clone()).unwrap();

    // Two transactions of alice in one block (block production held off
    // while both enter the pool): the second replays only on the first.
    let first = signed(
        &alice,
        nonce + 2,
        TxKind::Call(Address::repeat_byte(5)),
        U256::from(1),
        Bytes::new(),
    );
    let second = signed(
        &alice,
        nonce + 3,
        TxKind::Call(outer),
        U256::from(7),
        Bytes::from(alloy_primitives::hex::decode(format!("12345678{}", "00".repeat(32))).unwrap()),
    );
    let (first, hash) = {
        let _producer = net.sequencer.node.producer_lock().await;
        (
            net.sequencer.node.submit_raw(&first).unwrap(),
            net.sequencer.node.submit_raw(&second).unwrap(),
        )
    };
    let (first, hash) = (json!(first), json!(hash));
    let tx_receipt = receipt(&url, &hash).await;
    assert_eq!(receipt(&url, &first).await["blockNumber"], tx_receipt["blockNumber"]);
    assert_ne!(tx_receipt["transactionIndex"], "0x0", "{tx_receipt}");
    assert_eq!(tx_receipt["status"], "0x1");
    let trace = |opts: Value| call(&url, "debug_traceTransaction", json!([hash, opts]));

    let logger = trace(json!({})).await["result"].clone();
    assert_eq!(logger["gas"].as_u64(), Some(word(&tx_receipt["gasUsed"]).to::<u64>()), "{logger}");
    let ops: Vec<(&str, u64)> = logger["structLogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["op"].as_str().unwrap(), l["depth"].as_u64().unwrap()))
        .collect();
    let call_at = ops.iter().position(|o| *o == ("CALL", 1)).expect("a CALL");
    assert_eq!(ops[call_at + 1], ("PUSH1", 2), "{ops:?}");
    assert_eq!(ops.last(), Some(&("RETURN", 1)));

    let calls = trace(json!({"tracer": "callTracer"})).await["result"].clone();
    assert_eq!(calls["to"], json!(outer), "{calls}");
    assert_eq!(calls["calls"][0]["to"], json!(inner), "{calls}");
    assert_eq!(calls["calls"][0]["output"], format!("0x{:064x}", 42));

    // prestateTracer diff: the sender's nonce up by one, the L1 data fee in
    // the L1 fee vault's balance change, the base fee in the base fee vault's.
    let diff = trace(json!({"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}})).await
        ["result"]
        .clone();
    assert_eq!(diff["pre"][&sender]["nonce"], nonce + 3, "{diff}");
    assert_eq!(diff["post"][&sender]["nonce"], nonce + 4, "{diff}");
    let vault = |a: Address, side: &str| word(&diff[side][a.to_string().to_lowercase()]["balance"]);
    let l1_fee = word(&tx_receipt["l1Fee"]);
    assert!(l1_fee > U256::ZERO);
    assert_eq!(vault(L1_FEE_VAULT, "post") - vault(L1_FEE_VAULT, "pre"), l1_fee, "{diff}");
    let base_fee = word(
        &call(&url, "eth_getBlockByNumber", json!([tx_receipt["blockNumber"], false])).await["result"]
            ["baseFeePerGas"],
    );
    assert_eq!(
        vault(BASE_FEE_VAULT, "post") - vault(BASE_FEE_VAULT, "pre"),
        base_fee * word(&tx_receipt["gasUsed"]),
        "{diff}"
    );
    let paid = word(&tx_receipt["gasUsed"]) * word(&tx_receipt["effectiveGasPrice"])
        + l1_fee
        + U256::from(7);
    assert_eq!(
        word(&diff["pre"][&sender]["balance"]) - word(&diff["post"][&sender]["balance"]),
        paid
    );

    assert_eq!(
        trace(json!({"tracer": "4byteTracer"})).await["result"],
        json!({"0x12345678-32": 1})
    );

    let parity = call(&url, "trace_transaction", json!([hash])).await["result"].clone();
    assert_eq!(parity.as_array().map(Vec::len), Some(2), "{parity}");
    assert_eq!(parity[0]["action"]["to"], json!(outer));
    assert_eq!(parity[1]["action"]["to"], json!(inner));
    assert_eq!(parity[0]["transactionHash"], hash);

    // A block trace: one result per transaction of the block.
    let block = call(&url, "eth_getBlockByNumber", json!([tx_receipt["blockNumber"], false])).await
        ["result"]
        .clone();
    let count = block["transactions"].as_array().unwrap().len();
    let traced = call(
        &url,
        "debug_traceBlockByNumber",
        json!([tx_receipt["blockNumber"], {"tracer": "callTracer"}]),
    )
    .await;
    let results = traced["result"].as_array().expect("results");
    assert_eq!(results.len(), count, "{traced}");
    assert_eq!(
        results.iter().map(|r| r["txHash"].clone()).collect::<Vec<_>>(),
        *block["transactions"].as_array().unwrap()
    );
    assert!(results.iter().all(|r| r["result"]["type"] == "CALL"), "{traced}");
    let by_hash =
        call(&url, "debug_traceBlockByHash", json!([block["hash"], {"tracer": "callTracer"}]))
            .await;
    assert_eq!(by_hash["result"], traced["result"]);
    let parity_block =
        call(&url, "trace_block", json!([tx_receipt["blockNumber"]])).await["result"].clone();
    assert!(parity_block.as_array().unwrap().len() > count, "{parity_block}");
    net.shutdown().await;
}
