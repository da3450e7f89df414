//! Withdrawals end to end: initiated on L2, covered by an output, proven,
//! final after the challenge window, finalized on L1 by the relayer.

use crate::{
    assert_error,
    deposits::wait_credited,
    field,
    harness::{CHALLENGE_WINDOW, ETHER, Stack, bridge_config, eventually, send},
};
use alloy::{providers::Provider, rpc::types::TransactionRequest};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use rollup_bridge::BridgeConfig;
use rollup_client::dev::dev_account;
use rollup_contracts::{L2_TO_L1_MESSAGE_PASSER, L2ToL1MessagePasser, OutputOracle};
use rollup_protocol::{OutputRootPreimage, WithdrawalMessage, verify_withdrawal_proof};
use serde_json::{Value, json};

async fn status_of(stack: &Stack, hash: B256) -> Value {
    let (status, body) = stack.get(&format!("/v1/withdrawals/{hash}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn withdrawals_are_proven_and_finalized() {
    let mut stack = Stack::start().await;
    let user = dev_account(1);
    let target = Address::repeat_byte(0x77);

    // Fund the user on L2.
    let (status, created) = stack
        .post(
            "/v1/deposits",
            json!({"from": user.address(), "to": user.address(), "amount": U256::from(5 * ETHER).to_string()}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let deposit_tx: B256 = field(&created, "l1_tx_hash");
    wait_credited(&stack, deposit_tx).await;

    // Two withdrawals signed by the API, one signed by the user.
    let amounts = [U256::from(ETHER), U256::from(ETHER / 2), U256::from(ETHER / 5)];
    let mut withdrawals = Vec::new();
    for (i, amount) in amounts.iter().enumerate() {
        let (status, created) = if i < 2 {
            stack
                .post(
                    "/v1/withdrawals",
                    json!({"from": user.address(), "to": target, "amount": amount.to_string()}),
                )
                .await
        } else {
            let call = L2ToL1MessagePasser::initiateWithdrawalCall {
                target,
                gasLimit: U256::from(100_000u64),
                data: Bytes::new(),
            };
            let raw =
                stack.sign(true, &user, L2_TO_L1_MESSAGE_PASSER, *amount, call.abi_encode()).await;
            let created = stack.post("/v1/withdrawals", json!({"signed_tx": raw})).await;
            assert_eq!(field::<B256>(&created.1, "l2_tx_hash"), keccak256(&raw));
            created
        };
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["status"], "initiated");
        assert_eq!(created["nonce"], i as u64);
        let expected = WithdrawalMessage {
            nonce: U256::from(i),
            sender: user.address(),
            target,
            value: *amount,
            gas_limit: U256::from(100_000u64),
            data: Bytes::new(),
        };
        let hash: B256 = field(&created, "withdrawal_hash");
        assert_eq!(hash, expected.hash(), "withdrawal hash of {created}");
        let l2_tx: B256 = field(&created, "l2_tx_hash");
        let receipt = stack.l2_raw("eth_getTransactionReceipt", json!([l2_tx])).await;
        assert_eq!(receipt["status"], "0x1");
        withdrawals.push((hash, created["l2_block"].as_u64().unwrap()));
    }
    let (first, _) = withdrawals[0];
    let last_block = withdrawals.iter().map(|(_, b)| *b).max().unwrap();

    // Not covered by an output yet.
    let initiated = status_of(&stack, first).await;
    assert_eq!(initiated["status"], "initiated");
    assert!(initiated["output_index"].is_null());
    assert!(initiated["proof"].is_null());
    assert_eq!(field::<Address>(&initiated, "to"), target);
    assert_eq!(field::<U256>(&initiated, "amount"), amounts[0]);
    assert_error(
        &stack.post(&format!("/v1/withdrawals/{first}/finalize"), json!({})).await,
        409,
        "not-final",
    );

    // Output 0 covers every withdrawal; output 1 comes after.
    let root = stack.batch_and_propose(1, last_block).await;
    let later = eventually(30, "another L2 block", || async {
        let head = stack.l2_rpc.get_block_number().await.unwrap();
        (head > last_block).then_some(head)
    })
    .await;
    stack.batch_and_propose(last_block + 1, later).await;
    let waiting = eventually(30, "the withdrawal to be covered", || async {
        let body = status_of(&stack, first).await;
        (body["status"] == "waiting-to-finalize" && body["proof"].is_object()).then_some(body)
    })
    .await;
    let output = stack
        .l1_rpc
        .call(
            TransactionRequest::default()
                .to(stack.contracts.output_oracle)
                .input(OutputOracle::getOutputCall { index: U256::ZERO }.abi_encode().into()),
        )
        .await
        .unwrap();
    let output = OutputOracle::getOutputCall::abi_decode_returns(&output).unwrap();
    assert_eq!(waiting["output_index"], 0, "the earliest covering output");
    assert_eq!(waiting["finalizable_at"], output.timestamp + CHALLENGE_WINDOW);
    for (i, (hash, _)) in withdrawals.iter().enumerate() {
        let body = status_of(&stack, *hash).await;
        let proof = &body["proof"];
        assert_eq!(proof["output_index"], 0);
        assert_eq!(proof["leaf_index"], i as u64);
        assert_eq!(proof["leaf_count"], 3);
        assert_eq!(field::<B256>(proof, "output_root"), root);
        let preimage = OutputRootPreimage {
            state_root: field(&proof["output_root_proof"], "state_root"),
            withdrawals_root: field(&proof["output_root_proof"], "withdrawals_root"),
            block_hash: field(&proof["output_root_proof"], "block_hash"),
        };
        assert_eq!(preimage.output_root(), root);
        let siblings: Vec<B256> = proof["merkle_proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().parse().unwrap())
            .collect();
        assert!(verify_withdrawal_proof(preimage.withdrawals_root, *hash, i as u64, 3, &siblings));
    }

    // Lists, newest first, paginated.
    let outputs = eventually(30, "output 1 to be indexed", || async {
        let (status, outputs) = stack.get("/v1/outputs?limit=1").await;
        assert_eq!(status, 200, "{outputs}");
        (outputs["items"][0]["index"] == 1).then_some(outputs)
    })
    .await;
    assert_eq!(outputs["items"].as_array().unwrap().len(), 1);
    assert_eq!(outputs["items"][0]["index"], 1);
    assert_eq!(outputs["items"][0]["l2_block"], later);
    assert_eq!(outputs["items"][0]["status"], "proposed");
    let cursor = outputs["next_cursor"].as_str().expect("next_cursor").to_string();
    let (_, older) = stack.get(&format!("/v1/outputs?limit=1&cursor={cursor}")).await;
    assert_eq!(older["items"][0]["index"], 0);
    assert_eq!(older["items"][0]["l2_block"], last_block);
    assert_eq!(field::<B256>(&older["items"][0], "output_root"), root);
    assert_eq!(older["items"][0]["timestamp"], output.timestamp);
    assert!(older["next_cursor"].is_null());
    let (_, batches) = stack.get("/v1/batches").await;
    let batches = batches["items"].as_array().unwrap().clone();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[1]["index"], 0);
    assert_eq!(batches[1]["l2_start"], 1);
    assert_eq!(batches[1]["l2_end"], last_block);
    let data = stack.batch_data(1, last_block).await;
    assert_eq!(field::<B256>(&batches[1], "commitment"), keccak256(&data));
    assert_eq!(batches[0]["l2_start"], last_block + 1);

    // Final after the challenge window.
    assert_error(
        &stack.post(&format!("/v1/withdrawals/{first}/finalize"), json!({})).await,
        409,
        "not-final",
    );
    // The devnet L1 clock runs ahead of the wall clock (one second per block
    // at least), so jump to the output's finality time rather than by the window.
    let finalizable_at = output.timestamp + CHALLENGE_WINDOW;
    stack.l1_raw("evm_setNextBlockTimestamp", json!([format!("{finalizable_at:#x}")])).await;
    stack.l1_raw("evm_mine", json!([])).await;
    stack.l1_raw("evm_mine", json!([])).await;
    let ready = status_of(&stack, first).await;
    assert_eq!(ready["status"], "ready-to-finalize", "{ready}");

    let before = stack.l1_rpc.get_balance(target).await.unwrap();
    let (status, done) = stack.post(&format!("/v1/withdrawals/{first}/finalize"), json!({})).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "finalized");
    assert_eq!(field::<Address>(&done, "to"), stack.contracts.bridge);
    let l1_tx: B256 = field(&done, "l1_tx_hash");
    assert!(stack.l1_rpc.get_transaction_receipt(l1_tx).await.unwrap().unwrap().status());
    assert_eq!(stack.l1_rpc.get_balance(target).await.unwrap() - before, amounts[0]);
    assert_eq!(status_of(&stack, first).await["status"], "finalized");
    assert_error(
        &stack.post(&format!("/v1/withdrawals/{first}/finalize"), json!({})).await,
        409,
        "already-finalized",
    );
    eventually(30, "output 0 to be listed as finalized", || async {
        let (_, outputs) = stack.get("/v1/outputs").await;
        (outputs["items"][1]["status"] == "finalized").then_some(())
    })
    .await;

    // The index survives a restart.
    stack.restart_bridge().await;
    assert_eq!(status_of(&stack, first).await["status"], "finalized");
    let finalized_by = eventually(30, "the finalization to be indexed", || async {
        let body = status_of(&stack, first).await;
        body["finalized_l1_tx_hash"].as_str().map(|h| h.parse::<B256>().unwrap())
    })
    .await;
    assert_eq!(finalized_by, l1_tx);
    let second = status_of(&stack, withdrawals[1].0).await;
    assert_eq!(second["status"], "ready-to-finalize");
    let (_, deposit) = stack.get(&format!("/v1/deposits/{deposit_tx}")).await;
    assert_eq!(deposit["status"], "l2-credited");
    let (_, outputs) = stack.get("/v1/outputs").await;
    assert_eq!(outputs["items"].as_array().unwrap().len(), 2);

    // Without a relayer (and a fresh index), the API hands out the calldata
    // and the user sends it.
    let second = withdrawals[1].0;
    let config = BridgeConfig {
        relayer: None,
        ..bridge_config(
            &stack.dir,
            "bare.db",
            stack.l1.rpc_url(),
            stack.l2.rpc_url(),
            stack.contracts,
        )
    };
    let bare = rollup_bridge::spawn(config).await.expect("spawn");
    let bare_url = format!("{}/v1/withdrawals/{second}", bare.url());
    eventually(30, "the fresh index to cover the withdrawal", || async {
        let (_, body) = crate::get(&stack.http, &bare_url).await;
        (body["status"] == "ready-to-finalize" && body["proof"].is_object()).then_some(())
    })
    .await;
    let calldata = crate::post(&stack.http, &format!("{bare_url}/finalize"), "").await;
    assert_eq!(calldata.0, 200, "{}", calldata.1);
    assert_eq!(calldata.1["status"], "ready-to-finalize");
    assert!(calldata.1["l1_tx_hash"].is_null());
    assert_eq!(field::<Address>(&calldata.1, "to"), stack.contracts.bridge);
    let input: Bytes = field(&calldata.1, "calldata");
    let before = stack.l1_rpc.get_balance(target).await.unwrap();
    send(
        &stack.l1_rpc,
        TransactionRequest::default()
            .from(dev_account(3).address())
            .to(stack.contracts.bridge)
            .input(input.into()),
    )
    .await;
    assert_eq!(stack.l1_rpc.get_balance(target).await.unwrap() - before, amounts[1]);
    let (_, body) = crate::get(&stack.http, &bare_url).await;
    assert_eq!(body["status"], "finalized");
    assert_error(
        &crate::post(&stack.http, &format!("{bare_url}/finalize"), "").await,
        409,
        "already-finalized",
    );
    bare.shutdown().await;

    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_output_root_is_reported() {
    let stack = Stack::start().await;
    let user = dev_account(4);
    let (status, created) = stack
        .post(
            "/v1/deposits",
            json!({"from": user.address(), "to": user.address(), "amount": U256::from(ETHER).to_string()}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    wait_credited(&stack, field(&created, "l1_tx_hash")).await;
    let (status, created) = stack
        .post(
            "/v1/withdrawals",
            json!({"from": user.address(), "to": user.address(), "amount": U256::from(ETHER / 10).to_string()}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let hash: B256 = field(&created, "withdrawal_hash");
    let block = created["l2_block"].as_u64().unwrap();

    // The proposer commits to a root the L2 chain does not give.
    stack.append_batch(1, block).await;
    stack.propose(block, B256::repeat_byte(0xee)).await;
    let mismatch = eventually(30, "the wrong output to be indexed", || async {
        let got = stack.get(&format!("/v1/withdrawals/{hash}")).await;
        (got.0 == 409).then_some(got)
    })
    .await;
    assert_error(&mismatch, 409, "output-root-mismatch");
    // Not final yet: that comes first.
    assert_error(
        &stack.post(&format!("/v1/withdrawals/{hash}/finalize"), json!({})).await,
        409,
        "not-final",
    );
    let (_, outputs) = stack.get("/v1/outputs").await;
    let finalizable_at = outputs["items"][0]["finalizable_at"].as_u64().unwrap();
    stack.l1_raw("evm_setNextBlockTimestamp", json!([format!("{finalizable_at:#x}")])).await;
    stack.l1_raw("evm_mine", json!([])).await;
    assert_error(
        &stack.post(&format!("/v1/withdrawals/{hash}/finalize"), json!({})).await,
        409,
        "output-root-mismatch",
    );
    stack.shutdown().await;
}
