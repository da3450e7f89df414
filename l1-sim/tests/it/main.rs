//! Integration tests of the L1 simulator over its JSON-RPC.
#![allow(missing_docs, unreachable_pub)]

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy},
    eips::Encodable2718,
    network::{EthereumWallet, TransactionBuilder, TxSignerSync},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, Bytes, TxKind, U256, address, keccak256};
use rollup_l1_sim::{L1Config, L1Handle, spawn};
use serde_json::{Value, json};
use std::{path::Path, time::Duration};

mod blobs;
mod limits;
mod reorg;
mod tooling;

fn key(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&keccak256([i])).unwrap()
}

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

async fn start(dir: &Path, block_time: Option<Duration>) -> L1Handle {
    let url = format!("sqlite://{}?mode=rwc", dir.join("l1.db").display());
    let mut config =
        L1Config::for_tests(url, (1..=4).map(|i| (key(i).address(), eth(1000))).collect());
    config.block_time = block_time;
    spawn(config).await.unwrap()
}

async fn rpc(url: &str, body: Value) -> Value {
    reqwest::Client::new().post(url).json(&body).send().await.unwrap().json().await.unwrap()
}

async fn call(url: &str, method: &str, params: Value) -> Value {
    rpc(url, json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})).await
}

fn signed(tx: TxEip1559, signer: &PrivateKeySigner) -> Bytes {
    let mut tx = tx;
    let sig = signer.sign_transaction_sync(&mut tx).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718().into()
}

fn transfer(nonce: u64, to: Address, value: U256) -> TxEip1559 {
    TxEip1559 {
        chain_id: 900,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input: Bytes::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mines_signed_transactions_with_receipts_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(key(1)))
        .connect_http(l1.rpc_url().parse().unwrap());
    assert_eq!(provider.get_chain_id().await.unwrap(), 900);
    let to = address!("00000000000000000000000000000000000000aa");
    let tx = TransactionRequest::default().with_to(to).with_value(U256::from(12345));
    let receipt = provider.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(12345));
    // Historical state: every state method answers at an older block.
    let url = l1.rpc_url();
    let n = receipt.block_number.unwrap();
    let at = |n: u64| format!("{n:#x}");
    assert_eq!(call(&url, "eth_getBalance", json!([to, at(n - 1)])).await["result"], "0x0");
    assert_eq!(call(&url, "eth_getBalance", json!([to, at(n)])).await["result"], "0x3039");
    let proof = |n: u64| call(&url, "eth_getProof", json!([to, [], at(n)]));
    assert_eq!(proof(n - 1).await["result"]["balance"], "0x0");
    assert_eq!(proof(n).await["result"]["balance"], "0x3039");
    let spend = json!({"from": to, "to": Address::ZERO, "value": "0x3039"});
    let before = call(&url, "eth_call", json!([spend, at(n - 1)])).await;
    assert!(
        before["error"]["message"].as_str().unwrap().contains("insufficient funds"),
        "{before}"
    );
    assert_eq!(call(&url, "eth_call", json!([spend, at(n)])).await["result"], "0x");
    let sender = key(1).address();
    let nonce = |n: u64| call(&url, "eth_getTransactionCount", json!([sender, at(n)]));
    assert_eq!(nonce(n - 1).await["result"], "0x0");
    assert_eq!(nonce(n).await["result"], "0x1");
    assert_eq!(
        call(&url, "eth_getBalance", json!([to, at(n + 100)])).await["error"]["message"],
        "header not found"
    );
    let block =
        provider.get_block_by_number(receipt.block_number.unwrap().into()).await.unwrap().unwrap();
    assert_eq!(block.header.hash, receipt.block_hash.unwrap());
    assert_eq!(block.transactions.hashes().next(), Some(receipt.transaction_hash));
    // A contract that emits a log: LOG0 of 32 bytes of memory.
    // PUSH1 0x2a PUSH1 0 MSTORE PUSH1 32 PUSH1 0 LOG0 STOP
    let runtime =
        Bytes::from_static(&[0x60, 0x2a, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xa0, 0x00]);
    let emitter = address!("00000000000000000000000000000000000000bb");
    assert_eq!(
        call(&l1.rpc_url(), "anvil_setCode", json!([emitter, runtime])).await["result"],
        Value::Null
    );
    let tx = TransactionRequest::default().with_to(emitter).with_gas_limit(50_000);
    let receipt = provider.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert_eq!(receipt.inner.logs().len(), 1);
    // Code set by a dev method after block n is not in block n's state.
    assert_eq!(call(&url, "eth_getCode", json!([emitter, at(n)])).await["result"], "0x");
    assert_eq!(
        call(&url, "eth_getCode", json!([emitter, "latest"])).await["result"],
        json!(runtime)
    );
    let logs = provider
        .get_logs(&alloy::rpc::types::Filter::new().address(emitter).from_block(0))
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(U256::from_be_slice(&logs[0].data().data), U256::from(42));
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn base_fee_rises_with_demand_and_falls_without() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), Some(Duration::from_secs(3600))).await;
    let url = l1.rpc_url();
    // JUMPDEST PUSH1 0 JUMP: burns all the gas it is given.
    let burner = address!("00000000000000000000000000000000000000cc");
    call(&url, "anvil_setCode", json!([burner, "0x5b600056"])).await;
    call(&url, "evm_mine", json!([])).await;
    let base = |b: &Value| {
        u64::from_str_radix(
            b["result"]["baseFeePerGas"].as_str().unwrap().trim_start_matches("0x"),
            16,
        )
        .unwrap()
    };
    for (i, signer) in [key(1), key(2)].iter().enumerate() {
        let mut tx = transfer(0, burner, U256::ZERO);
        tx.gas_limit = 25_000_000;
        let r = call(&url, "eth_sendRawTransaction", json!([signed(tx, signer)])).await;
        assert!(r["result"].is_string(), "tx {i}: {r}");
    }
    call(&url, "evm_mine", json!([])).await;
    let full = call(&url, "eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(full["result"]["gasUsed"], "0x2faf080", "two 25M-gas transactions");
    let before = base(&full);
    call(&url, "evm_mine", json!([])).await;
    let after_full = base(&call(&url, "eth_getBlockByNumber", json!(["latest", false])).await);
    // 50M used against a 30M target: +1/8 * 20/30 = +8.33%
    assert_eq!(after_full, before + before * 20_000_000 / 30_000_000 / 8);
    call(&url, "evm_mine", json!([])).await;
    let after_empty = base(&call(&url, "eth_getBlockByNumber", json!(["latest", false])).await);
    assert_eq!(after_empty, after_full - after_full / 8, "an empty block lowers it by 1/8");
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_standard_errors() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), Some(Duration::from_secs(3600))).await;
    let url = l1.rpc_url();
    let client = reqwest::Client::new();
    let parse: Value =
        client.post(&url).body("{not json").send().await.unwrap().json().await.unwrap();
    assert_eq!(parse["error"]["code"], -32700);
    assert_eq!(rpc(&url, json!({"id": 1})).await["error"]["code"], -32600);
    assert_eq!(call(&url, "eth_nope", json!([])).await["error"]["code"], -32601);
    assert_eq!(call(&url, "eth_getBalance", json!(["0x12"])).await["error"]["code"], -32602);
    assert_eq!(call(&url, "eth_getBalance", json!([])).await["error"]["code"], -32602);
    let garbage = call(&url, "eth_sendRawTransaction", json!(["0xdeadbeef"])).await;
    assert_eq!(garbage["error"]["code"], -32000);
    assert!(garbage["error"]["message"].as_str().unwrap().starts_with("rlp"), "{garbage}");
    let send = |tx: Bytes| call(&url, "eth_sendRawTransaction", json!([tx]));
    let message = |v: Value| v["error"]["message"].as_str().unwrap_or_default().to_string();

    let mut wrong_chain = transfer(0, Address::ZERO, U256::ZERO);
    wrong_chain.chain_id = 1;
    assert_eq!(
        message(send(signed(wrong_chain, &key(1))).await),
        "invalid chain id for signer: have 1 want 900"
    );
    let mut low_gas = transfer(0, Address::ZERO, U256::ZERO);
    low_gas.gas_limit = 20_000;
    assert_eq!(
        message(send(signed(low_gas, &key(1))).await),
        "intrinsic gas too low: gas 20000, minimum needed 21000"
    );
    let broke = key(9);
    assert!(
        message(send(signed(transfer(0, Address::ZERO, U256::from(1)), &broke)).await)
            .starts_with("insufficient funds for gas * price + value")
    );
    let mut underpriced = transfer(0, Address::ZERO, U256::ZERO);
    underpriced.max_fee_per_gas = 1;
    underpriced.max_priority_fee_per_gas = 1;
    assert!(
        message(send(signed(underpriced, &key(1))).await)
            .starts_with("max fee per gas less than block base fee")
    );
    let legacy = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 10_000_000_000,
        gas_limit: 21_000,
        to: TxKind::Call(Address::ZERO),
        value: U256::ZERO,
        input: Bytes::new(),
    };
    let mut legacy_tx = legacy;
    let sig = key(1).sign_transaction_sync(&mut legacy_tx).unwrap();
    let raw: Bytes = TxEnvelope::Legacy(legacy_tx.into_signed(sig)).encoded_2718().into();
    assert!(
        message(send(raw).await) == "only replay-protected (EIP-155) transactions allowed over RPC",
        "pre-EIP-155 transactions are refused"
    );
    let mut big = transfer(0, Address::ZERO, U256::ZERO);
    big.input = vec![1u8; rollup_l1_sim::L1_MAX_TX_SIZE + 1].into();
    big.gas_limit = 10_000_000;
    assert!(message(send(signed(big, &key(1))).await).starts_with("oversized data"));

    let ok = signed(transfer(0, Address::ZERO, U256::ZERO), &key(1));
    assert!(send(ok.clone()).await["result"].is_string());
    assert_eq!(message(send(ok).await), "already known");
    let mut same_nonce = transfer(0, Address::repeat_byte(1), U256::ZERO);
    same_nonce.max_priority_fee_per_gas += 1;
    assert_eq!(
        message(send(signed(same_nonce, &key(1))).await),
        "replacement transaction underpriced"
    );
    call(&url, "evm_mine", json!([])).await;
    assert_eq!(
        message(send(signed(transfer(0, Address::ZERO, U256::from(5)), &key(1))).await),
        "nonce too low: next nonce 1, tx nonce 0"
    );
    // Batch requests answer in order, errors included.
    let batch = rpc(
        &url,
        json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_nope", "params": []},
        ]),
    )
    .await;
    assert_eq!(batch[0]["id"], 1);
    assert!(batch[0]["result"].is_string());
    assert_eq!(batch[1]["error"]["code"], -32601);
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_resumes_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let to = Address::repeat_byte(0x42);
    let raw = signed(transfer(0, to, U256::from(777)), &key(1));
    let hash = call(&l1.rpc_url(), "eth_sendRawTransaction", json!([raw])).await["result"].clone();
    let provider = ProviderBuilder::new().connect_http(l1.rpc_url().parse().unwrap());
    let receipt = loop {
        if let Some(r) = provider
            .get_transaction_receipt(serde_json::from_value(hash.clone()).unwrap())
            .await
            .unwrap()
        {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let head = provider.get_block_number().await.unwrap();
    let head_hash = provider.get_block_by_number(head.into()).await.unwrap().unwrap().header.hash;
    l1.shutdown().await;

    let l1 = start(dir.path(), None).await;
    let provider = ProviderBuilder::new().connect_http(l1.rpc_url().parse().unwrap());
    assert_eq!(provider.get_block_number().await.unwrap(), head);
    assert_eq!(
        provider.get_block_by_number(head.into()).await.unwrap().unwrap().header.hash,
        head_hash
    );
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(777));
    assert_eq!(provider.get_transaction_count(key(1).address()).await.unwrap(), 1);
    let again = provider.get_transaction_receipt(receipt.transaction_hash).await.unwrap().unwrap();
    assert_eq!(again.block_hash, receipt.block_hash);
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_methods_control_time_balances_and_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), Some(Duration::from_secs(3600))).await;
    let url = l1.rpc_url();
    let who = Address::repeat_byte(0x55);
    call(&url, "anvil_setBalance", json!([who, "0x1000"])).await;
    assert_eq!(call(&url, "eth_getBalance", json!([who, "latest"])).await["result"], "0x1000");
    let snapshot = call(&url, "evm_snapshot", json!([])).await["result"].clone();
    call(&url, "anvil_setBalance", json!([who, "0x1"])).await;
    call(&url, "evm_mine", json!([])).await;
    call(&url, "evm_mine", json!([])).await;
    assert_eq!(call(&url, "eth_blockNumber", json!([])).await["result"], "0x2");
    assert_eq!(call(&url, "evm_revert", json!([snapshot])).await["result"], true);
    assert_eq!(call(&url, "eth_blockNumber", json!([])).await["result"], "0x0");
    assert_eq!(call(&url, "eth_getBalance", json!([who, "latest"])).await["result"], "0x1000");
    assert_eq!(
        call(&url, "evm_revert", json!([snapshot])).await["result"],
        false,
        "a snapshot reverts once"
    );

    let ts = |v: Value| {
        u64::from_str_radix(v["result"]["timestamp"].as_str().unwrap().trim_start_matches("0x"), 16)
            .unwrap()
    };
    let now = ts(call(&url, "eth_getBlockByNumber", json!(["latest", false])).await);
    call(&url, "evm_setNextBlockTimestamp", json!([now + 1000])).await;
    call(&url, "evm_mine", json!([])).await;
    assert_eq!(ts(call(&url, "eth_getBlockByNumber", json!(["latest", false])).await), now + 1000);
    call(&url, "evm_increaseTime", json!([3600])).await;
    call(&url, "evm_mine", json!([])).await;
    assert!(ts(call(&url, "eth_getBlockByNumber", json!(["latest", false])).await) >= now + 3600);
    l1.shutdown().await;
}

/// A transaction the node accepted is always found by
/// `eth_getTransactionByHash`: pending while in the pool, then mined; never
/// `null` while its block is being committed (the pool is asked first, and
/// a block reaches the chain before its transactions leave the pool).
#[tokio::test(flavor = "multi_thread")]
async fn an_accepted_transaction_is_never_unknown_while_it_is_mined() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), Some(Duration::from_millis(20))).await;
    let url = l1.rpc_url();
    let sender = key(1);
    let mut lookups = 0u32;
    for nonce in 0..20u64 {
        let raw = signed(transfer(nonce, Address::repeat_byte(0x77), U256::from(1u64)), &sender);
        let sent = call(&url, "eth_sendRawTransaction", json!([raw])).await;
        let hash = sent["result"].clone();
        assert!(hash.is_string(), "{sent}");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let found = call(&url, "eth_getTransactionByHash", json!([hash])).await;
            lookups += 1;
            assert!(found["result"].is_object(), "transaction {nonce} unknown: {found}");
            if found["result"]["blockNumber"].is_string() {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "transaction {nonce} never mined");
        }
    }
    // Each transaction was looked up while pending at least once, mostly.
    assert!(lookups > 20, "{lookups} lookups");
    l1.shutdown().await;
}
