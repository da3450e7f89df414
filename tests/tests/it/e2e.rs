//! The main path end to end: deposit, L2 transfer, batch on L1, output,
//! withdrawal, finalization after the challenge window.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionRequest},
    sol_types::{SolCall, SolEvent},
};
use alloy_primitives::{Address, U256, keccak256, utils::parse_ether};
use rollup::devnet::{self, DevnetConfig};
use rollup_client::dev::dev_account;
use rollup_contracts::{BatchInbox, Bridge, L2ToL1MessagePasser, OutputOracle};
use rollup_protocol::{UserDeposit, batch::decode_channel_from_batch_data};
use serde_json::{Value, json};
use std::time::Duration;

async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deposit_transfer_batch_output_withdraw_finalize() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet::spawn(DevnetConfig::for_tests(dir.path().to_path_buf())).await.unwrap();
    let contracts = net.rollup.contracts;
    let alice = dev_account(0);
    let bob = dev_account(1);
    let l1 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(alice.clone()))
        .connect_http(net.l1.rpc_url().parse().unwrap());
    let l2_alice = ProviderBuilder::new()
        .wallet(EthereumWallet::from(alice.clone()))
        .connect_http(net.sequencer.rpc_url().parse().unwrap());
    let l2_bob = ProviderBuilder::new()
        .wallet(EthereumWallet::from(bob.clone()))
        .connect_http(net.sequencer.rpc_url().parse().unwrap());
    let api = reqwest::Client::new();
    let api_url = net.bridge.url();

    // 1. Deposit 1 ETH from dev account 0 to itself on L2.
    let one = parse_ether("1").unwrap();
    let deposit = TransactionRequest::default()
        .with_to(contracts.bridge)
        .with_value(one)
        .with_input(Bridge::depositETHCall { to: alice.address() }.abi_encode());
    let receipt = l1.send_transaction(deposit).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    let event = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| Bridge::TransactionDeposited::decode_log(&l.inner).ok())
        .expect("TransactionDeposited emitted");
    assert_eq!(event.from, alice.address());
    assert_eq!(event.to, alice.address());
    assert_eq!(event.mint, one);
    assert_eq!(event.depositIndex, U256::ZERO);
    let deposit_tx_hash = UserDeposit::from(&event.data).to_tx().tx_hash();

    let credited = eventually("the deposit on L2", Duration::from_secs(30), || async {
        let b = l2_alice.get_balance(alice.address()).await.ok()?;
        (b == one).then_some(b)
    })
    .await;
    assert_eq!(credited, one);
    let deposit_receipt: Value =
        l2_alice.raw_request("eth_getTransactionReceipt".into(), (deposit_tx_hash,)).await.unwrap();
    assert_eq!(deposit_receipt["type"], "0x7e");
    assert_eq!(deposit_receipt["status"], "0x1");
    let status: Value = api
        .get(format!("{api_url}/v1/deposits/{}", receipt.transaction_hash))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["deposit_index"], json!(0));

    // 2. An L2 transfer of 0.1 ETH from account 0 to account 1.
    let tenth = parse_ether("0.1").unwrap();
    let transfer = TransactionRequest::default().with_to(bob.address()).with_value(tenth);
    let pending = l2_alice.send_transaction(transfer).await.unwrap();
    let transfer_hash = *pending.tx_hash();
    let transfer_receipt = pending.get_receipt().await.unwrap();
    assert!(transfer_receipt.status());
    let transfer_block = transfer_receipt.block_number.unwrap();
    assert_eq!(l2_bob.get_balance(bob.address()).await.unwrap(), tenth);
    // Historical state on L2: the block before the transfer shows the older values.
    let parent = alloy::eips::BlockId::number(transfer_block - 1);
    assert_eq!(l2_bob.get_balance(bob.address()).block_id(parent).await.unwrap(), U256::ZERO);
    assert_eq!(l2_alice.get_balance(alice.address()).block_id(parent).await.unwrap(), one);
    let proof = l2_bob.get_proof(bob.address(), vec![]).block_id(parent).await.unwrap();
    assert_eq!(proof.balance, U256::ZERO);
    let proof =
        l2_bob.get_proof(bob.address(), vec![]).block_id(transfer_block.into()).await.unwrap();
    assert_eq!(proof.balance, tenth);
    let l1_fee: Value = l2_alice
        .raw_request::<_, Value>("eth_getTransactionReceipt".into(), (transfer_hash,))
        .await
        .unwrap()["l1Fee"]
        .clone();
    let l1_fee =
        U256::from_str_radix(l1_fee.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert!(l1_fee > U256::ZERO, "the L1 data fee is charged");
    let execution_fee =
        U256::from(transfer_receipt.gas_used) * U256::from(transfer_receipt.effective_gas_price);
    assert_eq!(
        l2_alice.get_balance(alice.address()).await.unwrap(),
        one - tenth - execution_fee - l1_fee,
        "the sender pays value + execution fee + L1 data fee"
    );

    // 3. The batch holding the transfer is on L1 and decodes to the same transaction.
    let (batch_tx, batch_event) =
        eventually("the batch on L1", Duration::from_secs(30), || async {
            let filter = Filter::new()
                .address(contracts.batch_inbox)
                .event_signature(BatchInbox::BatchAppended::SIGNATURE_HASH)
                .from_block(0);
            let logs = l1.get_logs(&filter).await.ok()?;
            logs.iter().find_map(|l| {
                let e = BatchInbox::BatchAppended::decode_log(&l.inner).ok()?;
                (e.l2Start <= transfer_block && transfer_block <= e.l2End)
                    .then(|| (l.transaction_hash.unwrap(), e.data))
            })
        })
        .await;
    let tx = l1.get_transaction_by_hash(batch_tx).await.unwrap().unwrap();
    let call = BatchInbox::appendBatchCall::abi_decode(alloy::consensus::Transaction::input(
        tx.inner.inner(),
    ))
    .unwrap();
    assert_eq!(
        keccak256(&call.data),
        batch_event.commitment,
        "the inbox commits to the batch data"
    );
    let blocks = decode_channel_from_batch_data(&call.data).unwrap();
    assert_eq!(blocks.first().unwrap().number, batch_event.l2Start);
    assert_eq!(blocks.last().unwrap().number, batch_event.l2End);
    let block = blocks.iter().find(|b| b.number == transfer_block).unwrap();
    assert!(block.transactions.iter().any(|raw| keccak256(raw) == transfer_hash));
    let l2_block = l2_alice.get_block_by_number(transfer_block.into()).await.unwrap().unwrap();
    assert_eq!(block.timestamp, l2_block.header.timestamp);

    // 4. A withdrawal of 0.05 ETH from account 1 to itself on L1.
    let twentieth = parse_ether("0.05").unwrap();
    let withdraw = TransactionRequest::default()
        .with_to(rollup_protocol::L2_TO_L1_MESSAGE_PASSER)
        .with_value(twentieth)
        .with_input(
            L2ToL1MessagePasser::initiateWithdrawalCall {
                target: bob.address(),
                gasLimit: U256::from(100_000),
                data: Default::default(),
            }
            .abi_encode(),
        );
    let w_receipt = l2_bob.send_transaction(withdraw).await.unwrap().get_receipt().await.unwrap();
    assert!(w_receipt.status());
    let passed = w_receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| L2ToL1MessagePasser::MessagePassed::decode_log(&l.inner).ok())
        .unwrap();
    let message = rollup_protocol::WithdrawalMessage {
        nonce: passed.nonce,
        sender: bob.address(),
        target: bob.address(),
        value: twentieth,
        gas_limit: U256::from(100_000),
        data: Default::default(),
    };
    let withdrawal_hash = message.hash();
    assert_eq!(passed.withdrawalHash, withdrawal_hash);
    let w_block = w_receipt.block_number.unwrap();
    let header = l2_bob.get_block_by_number(w_block.into()).await.unwrap().unwrap().header;
    assert_eq!(
        header.withdrawals_root,
        Some(rollup_protocol::withdrawals_root(&[withdrawal_hash])),
        "the header commits to the withdrawal tree"
    );

    // 5. An output covering the withdrawal is proposed; finalizing is refused before the window.
    let output_index =
        eventually("an output covering the withdrawal", Duration::from_secs(40), || async {
            let count =
                view(&l1, contracts.output_oracle, OutputOracle::outputCountCall {}).await?;
            for i in 0..count.to::<u64>() {
                let o = view(
                    &l1,
                    contracts.output_oracle,
                    OutputOracle::getOutputCall { index: U256::from(i) },
                )
                .await?;
                if o.l2BlockNumber >= w_block {
                    return Some((i, o));
                }
            }
            None
        })
        .await;
    let (index, output) = output_index;
    let expected: Value = l2_bob
        .raw_request(
            "optimism_outputAtBlock".into(),
            (alloy_primitives::U64::from(output.l2BlockNumber),),
        )
        .await
        .unwrap();
    assert_eq!(
        json!(output.outputRoot),
        expected["outputRoot"],
        "the proposed root is the sequencer's"
    );
    let early = api
        .post(format!("{api_url}/v1/withdrawals/{withdrawal_hash}/finalize"))
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 409, "finalize before the challenge window is refused");

    // 6. After the window: finalize once, funds arrive, a second finalize is refused.
    let l1_before = l1.get_balance(bob.address()).await.unwrap();
    let bridge_before = l1.get_balance(contracts.bridge).await.unwrap();
    eventually("the withdrawal to be ready", Duration::from_secs(30), || async {
        let v: Value = api
            .get(format!("{api_url}/v1/withdrawals/{withdrawal_hash}"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (v["status"] == "ready-to-finalize").then_some(())
    })
    .await;
    let done = api
        .post(format!("{api_url}/v1/withdrawals/{withdrawal_hash}/finalize"))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200, "{}", done.text().await.unwrap_or_default());
    assert_eq!(l1.get_balance(bob.address()).await.unwrap(), l1_before + twentieth);
    assert_eq!(l1.get_balance(contracts.bridge).await.unwrap(), bridge_before - twentieth);
    let again = api
        .post(format!("{api_url}/v1/withdrawals/{withdrawal_hash}/finalize"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "a second finalize is refused");
    let status: Value = api
        .get(format!("{api_url}/v1/withdrawals/{withdrawal_hash}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "finalized");

    // The challenger, deriving from L1 alone, agrees with every output so far.
    let status =
        eventually("the challenger to check the output", Duration::from_secs(20), || async {
            let status = net.challenger.status().await;
            (status.outputs_checked > index).then_some(status)
        })
        .await;
    assert!(status.derived_head >= output.l2BlockNumber);
    assert!(status.invalid_outputs.is_empty(), "{:?}", status.invalid_outputs);

    // 7. The bridge holds exactly the L2 ETH supply.
    let supply: U256 = l2_alice.raw_request("rollup_ethSupply".into(), ()).await.unwrap();
    assert_eq!(supply, one - twentieth);
    assert_eq!(l1.get_balance(contracts.bridge).await.unwrap(), supply);

    // 8. The proposer reclaims the bond of every final output, this one too.
    eventually("the proposer to reclaim the output's bond", Duration::from_secs(30), || async {
        let o = view(
            &l1,
            contracts.output_oracle,
            OutputOracle::getOutputCall { index: U256::from(index) },
        )
        .await?;
        o.bondReclaimed.then_some(())
    })
    .await;

    // 9. The fee quote: an L2 transfer costs less than an L1 one.
    let fees: Value =
        api.get(format!("{api_url}/v1/fees")).send().await.unwrap().json().await.unwrap();
    assert_eq!(fees["l2_eth_transfer"]["gas"], 21_000);
    assert_ne!(
        fees["l2_eth_transfer"]["l1_data_fee_wei"], "0",
        "L2 quotes include the L1 data fee"
    );
    assert!(fees["eth_transfer_savings"].as_f64().unwrap() > 1.0, "{fees}");
    assert!(fees["erc20_transfer_savings"].as_f64().unwrap() > 1.0, "{fees}");

    net.shutdown().await;
}

async fn view<P: Provider, C: SolCall>(provider: &P, to: Address, call: C) -> Option<C::Return> {
    let out = provider
        .call(TransactionRequest::default().with_to(to).with_input(call.abi_encode()))
        .await
        .ok()?;
    C::abi_decode_returns(&out).ok()
}
