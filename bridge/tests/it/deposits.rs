//! Deposits through the API, credited on a real L2.

use crate::{
    assert_error, field,
    harness::{ETHER, Stack, eventually},
};
use alloy::providers::Provider;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use rollup_client::dev::dev_account;
use rollup_contracts::Bridge;
use rollup_protocol::UserDeposit;
use serde_json::{Value, json};

/// Polls `GET /v1/deposits/{hash}` until `l2-credited`.
pub(crate) async fn wait_credited(stack: &Stack, hash: B256) -> Value {
    eventually(90, "the deposit to be credited on L2", || async {
        let (status, body) = stack.get(&format!("/v1/deposits/{hash}")).await;
        assert_eq!(status, 200, "{body}");
        (body["status"] == "l2-credited").then_some(body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn deposits_are_credited_on_l2() {
    let stack = Stack::start().await;
    let (status, health) = stack.get("/health").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok");
    assert!(health["l1_block"].as_u64().unwrap() > 0);
    assert!(health["l2_block"].is_u64());
    let (_, config) = stack.get("/v1/config").await;
    assert_eq!(field::<Address>(&config, "bridge"), stack.contracts.bridge);
    assert_eq!(field::<Address>(&config, "output_oracle"), stack.contracts.output_oracle);
    assert_eq!(field::<Address>(&config, "batch_inbox"), stack.contracts.batch_inbox);

    // A dev account deposits; the API signs.
    let from = dev_account(0).address();
    let to = Address::repeat_byte(0x42);
    let amount = U256::from(3 * ETHER / 2);
    let before = stack.l2_rpc.get_balance(to).await.unwrap();
    let (status, created) = stack
        .post("/v1/deposits", json!({"from": from, "to": to, "amount": amount.to_string()}))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "l1-included");
    assert_eq!(created["deposit_index"], 0);
    let l1_tx: B256 = field(&created, "l1_tx_hash");
    let receipt = stack.l1_rpc.get_transaction_receipt(l1_tx).await.unwrap().expect("L1 receipt");
    assert!(receipt.status());

    let credited = wait_credited(&stack, l1_tx).await;
    let expected = UserDeposit {
        from,
        to,
        index: 0,
        mint: amount,
        value: amount,
        gas_limit: 100_000,
        data: Bytes::new(),
    };
    assert_eq!(credited["deposit_index"], 0);
    assert_eq!(field::<Address>(&credited, "from"), from);
    assert_eq!(field::<Address>(&credited, "to"), to);
    assert_eq!(field::<U256>(&credited, "amount"), amount);
    assert_eq!(credited["l1_block"], receipt.block_number.unwrap());
    let l2_tx: B256 = field(&credited, "l2_tx_hash");
    assert_eq!(l2_tx, expected.to_tx().tx_hash());
    let l2_receipt = stack.l2_raw("eth_getTransactionReceipt", json!([l2_tx])).await;
    let l2_block = u64::from_str_radix(
        l2_receipt["blockNumber"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    assert_eq!(credited["l2_block"], l2_block);
    let after = stack.l2_rpc.get_balance(to).await.unwrap();
    assert_eq!(after - before, amount, "L2 balance of the recipient");

    // A user-signed deposit is relayed as is.
    let user = dev_account(2);
    let to2 = Address::repeat_byte(0x43);
    let amount2 = U256::from(ETHER / 4);
    let raw = stack
        .sign(
            false,
            &user,
            stack.contracts.bridge,
            amount2,
            Bridge::depositETHCall { to: to2 }.abi_encode(),
        )
        .await;
    let (status, created) = stack.post("/v1/deposits", json!({"signed_tx": raw})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "pending");
    assert!(created["deposit_index"].is_null());
    let hash2: B256 = field(&created, "l1_tx_hash");
    assert_eq!(hash2, keccak256(&raw));
    let credited = wait_credited(&stack, hash2).await;
    assert_eq!(credited["deposit_index"], 1);
    assert_eq!(field::<Address>(&credited, "from"), user.address());
    assert_eq!(stack.l2_rpc.get_balance(to2).await.unwrap(), amount2);

    // Signed transactions must call the bridge on the L1.
    let raw = stack.sign(false, &user, Address::repeat_byte(0x01), U256::from(1u64), vec![]).await;
    assert_error(&stack.post("/v1/deposits", json!({"signed_tx": raw})).await, 422, "wrong-target");
    let raw = stack
        .sign(
            true,
            &user,
            stack.contracts.bridge,
            U256::from(1u64),
            Bridge::depositETHCall { to: to2 }.abi_encode(),
        )
        .await;
    assert_error(&stack.post("/v1/deposits", json!({"signed_tx": raw})).await, 422, "wrong-chain");

    // Unknown and non-deposit transactions.
    let unknown = format!("0x{}", "cd".repeat(32));
    assert_error(&stack.get(&format!("/v1/deposits/{unknown}")).await, 404, "not-found");
    stack.batch_and_propose(1, 1).await;
    let propose_tx = eventually(30, "the output to be indexed", || async {
        let (_, outputs) = stack.get("/v1/outputs").await;
        outputs["items"][0]["l1_tx_hash"].as_str().map(str::to_string)
    })
    .await;
    assert_error(&stack.get(&format!("/v1/deposits/{propose_tx}")).await, 404, "not-found");

    stack.shutdown().await;
}
