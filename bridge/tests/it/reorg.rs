//! The indexer follows L1 reorgs: what it indexed from dropped blocks
//! leaves the API, and the new chain's events are indexed in their place.

use crate::{
    field,
    harness::{ETHER, Stack, eventually},
};
use alloy::providers::Provider;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use rollup_client::dev::{Role, dev_account, role_signer};
use rollup_contracts::BatchInbox;
use serde_json::{Value, json};

/// The L2 ranges of `GET /v1/batches`, oldest first.
async fn batch_ranges(stack: &Stack) -> Vec<(u64, u64)> {
    let (status, page) = stack.get("/v1/batches?limit=100").await;
    assert_eq!(status, 200, "{page}");
    let mut ranges: Vec<(u64, u64)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["l2_start"].as_u64().unwrap(), b["l2_end"].as_u64().unwrap()))
        .collect();
    ranges.sort_unstable();
    ranges
}

/// Waits until the indexer has scanned L1 block `number`.
async fn indexed_through(stack: &Stack, number: u64) {
    eventually(30, "the indexer to reach the block", || async {
        let (_, status) = stack.get("/v1/status").await;
        status["l1_indexed_block"].as_u64().is_some_and(|n| n >= number).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn indexer_rolls_back_what_an_l1_reorg_dropped() {
    let stack = Stack::start().await;
    // A first batch, then a deposit and a second batch.
    stack.append_batch(1, 5).await;
    let (status, created) = stack
        .post(
            "/v1/deposits",
            json!({"from": dev_account(1).address(), "to": Address::repeat_byte(0x51),
                   "amount": U256::from(ETHER).to_string()}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let l1_tx: B256 = field(&created, "l1_tx_hash");
    let deposit_block = stack.l1_rpc.get_transaction_receipt(l1_tx).await.unwrap().unwrap();
    let deposit_block = deposit_block.block_number.unwrap();
    stack.append_batch(6, 10).await;
    let head = stack.l1_rpc.get_block_number().await.unwrap();
    indexed_through(&stack, head).await;
    assert_eq!(batch_ranges(&stack).await, vec![(1, 5), (6, 10)]);
    let (status, _) = stack.get(&format!("/v1/deposits/{l1_tx}")).await;
    assert_eq!(status, 200);

    // The L1 drops every block from the deposit's on (the L1 keeps mining).
    let head = stack.l1_rpc.get_block_number().await.unwrap();
    let depth = head - deposit_block + 1;
    let rolled = stack.l1_raw("anvil_rollback", json!([depth])).await;
    assert_eq!(rolled, Value::Null);
    assert!(stack.l1_rpc.get_transaction_receipt(l1_tx).await.unwrap().is_none());
    let gone = eventually(30, "the deposit to leave the API", || async {
        let (status, body) = stack.get(&format!("/v1/deposits/{l1_tx}")).await;
        (status == 404).then_some(body)
    })
    .await;
    assert_eq!(gone["error"]["code"], "not-found", "{gone}");
    // The second batch went with its block: no phantom range is left.
    eventually(30, "the dropped batch to leave the API", || async {
        (batch_ranges(&stack).await == vec![(1, 5)]).then_some(())
    })
    .await;
    let (_, status) = stack.get("/v1/status").await;
    assert!(status["l1_indexed_block"].as_u64().unwrap() < head, "{status}");

    // The batch posted again on the new chain is indexed once, contiguous
    // (signed here: the test provider's cached nonce is past the reorg).
    let append = BatchInbox::appendBatchCall {
        l2Start: 6,
        l2End: 10,
        data: Bytes::from_static(b"test batch"),
    };
    let raw = stack
        .sign(
            false,
            &role_signer(Role::Batcher),
            stack.contracts.batch_inbox,
            U256::ZERO,
            append.abi_encode(),
        )
        .await;
    let hash = *stack.l1_rpc.send_raw_transaction(&raw).await.unwrap().tx_hash();
    let receipt = eventually(30, "the batch to be mined again", || async {
        stack.l1_rpc.get_transaction_receipt(hash).await.unwrap()
    })
    .await;
    assert!(receipt.status());
    let head = stack.l1_rpc.get_block_number().await.unwrap();
    indexed_through(&stack, head).await;
    assert_eq!(batch_ranges(&stack).await, vec![(1, 5), (6, 10)]);
    // Indexing on carries on normally (no repeated rollback).
    indexed_through(&stack, head + 5).await;
    assert_eq!(batch_ranges(&stack).await, vec![(1, 5), (6, 10)]);
    stack.shutdown().await;
}
