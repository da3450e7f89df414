//! `GET /v1/events`: deposits announced as they are indexed, once, and not
//! again after a restart of the bridge.

use crate::{
    field,
    harness::{ETHER, Stack},
    sse::Sse,
};
use alloy::providers::Provider;
use alloy_primitives::{Address, B256, U256};
use rollup_client::dev::dev_account;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn events_stream_deposits_once() {
    let mut stack = Stack::start().await;
    let mut sse = Sse::connect(&stack.http, &stack.url("/v1/events")).await;

    let from = dev_account(0).address();
    let to = Address::repeat_byte(0x44);
    let amount = U256::from(ETHER);
    let (status, created) = stack
        .post("/v1/deposits", json!({"from": from, "to": to, "amount": amount.to_string()}))
        .await;
    assert_eq!(status, 201, "{created}");
    let l1_tx: B256 = field(&created, "l1_tx_hash");
    let receipt = stack.l1_rpc.get_transaction_receipt(l1_tx).await.unwrap().expect("receipt");

    let initiated = sse.wait_for(60, "deposit-initiated", |d| d["deposit_index"] == 0).await;
    assert_eq!(field::<B256>(&initiated, "l1_tx_hash"), l1_tx);
    assert_eq!(initiated["l1_block"], receipt.block_number.unwrap());
    assert_eq!(field::<Address>(&initiated, "from"), from);
    assert_eq!(field::<Address>(&initiated, "to"), to);
    assert_eq!(field::<U256>(&initiated, "amount"), amount);
    assert!(initiated.get("l2_block").is_none(), "{initiated}");
    let l2_tx: B256 = field(&initiated, "l2_tx_hash");

    let credited = sse.wait_for(90, "deposit-credited", |d| d["deposit_index"] == 0).await;
    assert_eq!(field::<B256>(&credited, "l1_tx_hash"), l1_tx);
    assert_eq!(field::<B256>(&credited, "l2_tx_hash"), l2_tx);
    let l2_receipt = stack.l2_raw("eth_getTransactionReceipt", json!([l2_tx])).await;
    let l2_block = u64::from_str_radix(
        l2_receipt["blockNumber"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    assert_eq!(credited["l2_block"], l2_block);
    assert_eq!(sse.seen("deposit-initiated").len(), 1);
    assert_eq!(sse.seen("deposit-credited").len(), 1);
    let (_, status) = stack.get(&format!("/v1/deposits/{l1_tx}")).await;
    assert_eq!(status["status"], "l2-credited");
    assert_eq!(status["l2_block"], l2_block);

    // After a restart, what was indexed is not announced again.
    stack.restart_bridge().await;
    let mut sse = Sse::connect(&stack.http, &stack.url("/v1/events")).await;
    let (status, created) = stack
        .post("/v1/deposits", json!({"from": from, "to": to, "amount": amount.to_string()}))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["deposit_index"], 1);
    sse.wait_for(60, "deposit-initiated", |d| d["deposit_index"] == 1).await;
    sse.wait_for(90, "deposit-credited", |d| d["deposit_index"] == 1).await;
    for kind in ["deposit-initiated", "deposit-credited"] {
        let seen = sse.seen(kind);
        assert_eq!(seen.len(), 1, "{kind} events after the restart: {seen:?}");
    }
    let (_, status) = stack.get(&format!("/v1/deposits/{l1_tx}")).await;
    assert_eq!(status["l2_block"], l2_block, "the first credit survives the restart");

    stack.shutdown().await;
}
