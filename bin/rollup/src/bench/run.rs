//! The two runs of a workload: directly on a fresh L1 simulator, and
//! through a fresh rollup (sequencer, batcher, proposer) anchored to its own
//! fresh L1.

use super::{
    rpc::{quantity, send_and_wait},
    workload::{Signed, Workload},
};
use crate::devnet::{self, DevnetConfig};
use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::Encodable2718,
    network::TxSignerSync,
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use alloy_primitives::{B256, Bytes, TxKind, U64, U256};
use eyre::eyre;
use rollup_batcher::{BatchRecord, OutputRecord};
use rollup_client::{
    dev::{DEV_ACCOUNTS, dev_account},
    http_provider,
};
use rollup_contracts::{BatchInbox, Bridge};
use rollup_db::sqlite_url;
use rollup_l1_sim::L1Config;
use rollup_protocol::{
    L1_CHAIN_ID, L2_CHAIN_ID,
    batch::{BatchBlock, BatchEncoding, Compression},
};
use std::time::Duration;

/// What one transaction cost when sent to the L1 directly.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DirectTx {
    pub(crate) gas_used: u64,
    pub(crate) paid_wei: u128,
}

/// The L1-direct run.
#[derive(Debug)]
pub(crate) struct DirectRun {
    pub(crate) txs: Vec<DirectTx>,
}

/// What one transaction cost its user on L2.
#[derive(Clone, Copy, Debug)]
pub(crate) struct L2Tx {
    pub(crate) execution_fee_wei: u128,
    pub(crate) l1_fee_wei: u128,
    /// The L1 data fee had the L1 origin's blob base fee been at least its
    /// EIP-7918 reserve price (base fee / 16), wei: the fee formula's blob
    /// term repriced like the spend's blob gas.
    pub(crate) l1_fee_at_reserve_wei: u128,
}

/// [`L2Tx::l1_fee_at_reserve_wei`] from the receipt's OP fee fields.
fn l1_fee_at_reserve(r: &serde_json::Value) -> u128 {
    let paid = quantity(r, "l1Fee");
    let blob_fee = quantity(r, "l1BlobBaseFee");
    let reserve = rollup_protocol::l1_blob::blob_reserve_price(
        u64::try_from(quantity(r, "l1GasPrice")).unwrap_or(u64::MAX),
    );
    let extra = reserve.saturating_sub(blob_fee)
        * quantity(r, "l1GasUsed")
        * quantity(r, "l1BlobBaseFeeScalar")
        / 16_000_000;
    paid + extra
}

/// The rollup run.
#[derive(Debug)]
pub(crate) struct RollupRun {
    /// The chain's intervals.
    pub(crate) intervals: Intervals,
    /// Hash of each workload transaction, in workload order.
    pub(crate) hashes: Vec<B256>,
    pub(crate) txs: Vec<L2Tx>,
    pub(crate) raw_tx_bytes: u64,
    pub(crate) batches: Vec<BatchRecord>,
    pub(crate) outputs: Vec<OutputRecord>,
    pub(crate) blocks: Vec<BatchBlock>,
}

const ETHER: u128 = 1_000_000_000_000_000_000;

/// The rollup run's chain intervals (why these: the module docs of
/// [`super`]).
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Intervals {
    /// L2 block time, milliseconds.
    pub l2_block_time_ms: u64,
    /// The batcher's maximum channel duration, seconds.
    pub batch_interval_secs: u64,
    /// Output proposal interval, L2 blocks.
    pub output_interval: u64,
}

impl Intervals {
    /// The intervals of the fee benchmark.
    pub(crate) const BENCH: Self =
        Self { l2_block_time_ms: 250, batch_interval_secs: 90, output_interval: 240 };
}

fn bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>28} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// Runs `workload` directly on a fresh L1 (1-second blocks).
pub(crate) async fn l1_direct(workload: &Workload) -> eyre::Result<DirectRun> {
    let dir = tempfile::tempdir()?;
    let mut config = L1Config::for_tests(
        sqlite_url(dir.path(), "l1.db"),
        workload.keys.iter().map(|k| (k.address(), U256::from(1_000 * ETHER))).collect(),
    );
    config.block_time = Some(Duration::from_secs(1));
    let l1 = rollup_l1_sim::spawn(config).await?;
    let (setup, txs) = workload.sign(L1_CHAIN_ID, 200_000_000_000, 1_000_000_000);
    let client = reqwest::Client::new();
    run_setup(&client, &l1.rpc_url(), &setup).await?;
    let send = bar(txs.len() as u64, "L1 direct: sent");
    let mined = bar(txs.len() as u64, "L1 direct: mined");
    let receipts = send_and_wait(&client, &l1.rpc_url(), &txs, &send, &mined).await?;
    send.finish();
    mined.finish();
    let txs = receipts
        .iter()
        .map(|r| {
            let gas_used = quantity(r, "gasUsed") as u64;
            DirectTx { gas_used, paid_wei: u128::from(gas_used) * quantity(r, "effectiveGasPrice") }
        })
        .collect();
    settled(receipts, "L1 workload")?;
    l1.shutdown().await;
    Ok(DirectRun { txs })
}

/// Runs the setup in two phases: the deployer's transactions (contracts,
/// liquidity, token grants), then the senders' approvals, which call the
/// contracts the first phase created.
async fn run_setup(client: &reqwest::Client, url: &str, setup: &[Signed]) -> eyre::Result<()> {
    let hidden = indicatif::ProgressBar::hidden();
    for phase in [
        &setup[..setup.len().min(setup.iter().take_while(|t| t.deployer).count())],
        &setup[setup.iter().take_while(|t| t.deployer).count()..],
    ] {
        settled(send_and_wait(client, url, phase, &hidden, &hidden).await?, "setup")?;
    }
    Ok(())
}

/// Every receipt shows success (a failed setup would skew the figures).
fn settled(receipts: Vec<serde_json::Value>, what: &str) -> eyre::Result<Vec<serde_json::Value>> {
    if let Some(r) = receipts.iter().find(|r| r["status"] != "0x1") {
        return Err(eyre!(
            "{what}: transaction {} to {} failed (gas used {})",
            r["transactionHash"],
            r["to"],
            r["gasUsed"]
        ));
    }
    Ok(receipts)
}

/// Runs `workload` through a fresh rollup with `compression`.
pub(crate) async fn rollup(
    workload: &Workload,
    compression: Compression,
    encoding: BatchEncoding,
    da: rollup_batcher::DataAvailability,
    intervals: Intervals,
) -> eyre::Result<RollupRun> {
    let dir = tempfile::tempdir()?;
    let mut config = DevnetConfig::for_tests(dir.path().to_path_buf());
    config.l1_block_time = Duration::from_secs(1);
    config.l2_block_time = Duration::from_millis(intervals.l2_block_time_ms);
    config.batch_interval = Duration::from_secs(intervals.batch_interval_secs);
    config.output_interval = intervals.output_interval;
    config.challenge_window = Duration::from_secs(3_600);
    config.compression = compression;
    config.encoding = encoding;
    config.da = da;
    let net = devnet::spawn(config).await?;
    let client = reqwest::Client::new();
    let l1 = http_provider(&net.l1.rpc_url())?;
    let l2 = http_provider(&net.sequencer.rpc_url())?;

    // Setup: fund every sender on L2 by deposit, and wait until the setup
    // blocks are batched, so the workload's batches carry only its blocks.
    let funding = bar(workload.keys.len() as u64, "rollup: funding senders");
    let mut deposits = Vec::new();
    let mut nonces = [0u64; DEV_ACCOUNTS as usize];
    for (i, sender) in workload.keys.iter().enumerate() {
        let funder = i % DEV_ACCOUNTS as usize;
        let mut tx = TxEip1559 {
            chain_id: L1_CHAIN_ID,
            nonce: nonces[funder],
            gas_limit: 150_000,
            max_fee_per_gas: 200_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(net.rollup.contracts.bridge),
            value: U256::from(10 * ETHER),
            access_list: Default::default(),
            input: Bridge::depositETHCall { to: sender.address() }.abi_encode().into(),
        };
        nonces[funder] += 1;
        let nonce = tx.nonce;
        let signature = dev_account(funder as u32).sign_transaction_sync(&mut tx)?;
        let envelope = TxEnvelope::Eip1559(tx.into_signed(signature));
        deposits.push(Signed {
            hash: *envelope.tx_hash(),
            raw: Bytes::from(envelope.encoded_2718()),
            nonce,
            deployer: false,
        });
    }
    // In rounds: each funder sends more deposits than the pool's nonce gap.
    let hidden = indicatif::ProgressBar::hidden();
    settled(
        send_and_wait(&client, &net.l1.rpc_url(), &deposits, &hidden, &hidden).await?,
        "deposits",
    )?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    for sender in &workload.keys {
        while l2.get_balance(sender.address()).await?.is_zero() {
            if tokio::time::Instant::now() > deadline {
                return Err(eyre!("deposits not credited in time"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        funding.inc(1);
    }
    funding.finish();
    let (setup, signed) = workload.sign(L2_CHAIN_ID, 1_000_000_000, 1_000_000);
    run_setup(&client, &net.sequencer.rpc_url(), &setup).await?;
    // Start the workload in a fresh channel just after an output boundary:
    // wait until a batch covering both the setup and the next output
    // boundary is on L1. Then the workload's batches carry only its blocks
    // (and idle ones), its first channel fills from empty, and it lies in as
    // few output intervals as its length allows (the output at the boundary
    // commits to the state before it).
    let interval = intervals.output_interval.max(1);
    let boundary = l2.get_block_number().await?.div_ceil(interval) * interval;
    let first = loop {
        let out = l1
            .call(
                TransactionRequest::default()
                    .to(net.rollup.contracts.batch_inbox)
                    .input(BatchInbox::nextL2BlockCall {}.abi_encode().into()),
            )
            .await?;
        let next = BatchInbox::nextL2BlockCall::abi_decode_returns(&out)?;
        if next > boundary {
            break next;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // The workload.
    let send = bar(signed.len() as u64, "rollup: sent to L2");
    let mined = bar(signed.len() as u64, "rollup: included on L2");
    let receipts = settled(
        send_and_wait(&client, &net.sequencer.rpc_url(), &signed, &send, &mined).await?,
        "L2 workload",
    )?;
    send.finish();
    mined.finish();
    let last = receipts.iter().map(|r| quantity(r, "blockNumber") as u64).max().unwrap_or(first);
    let first_workload =
        receipts.iter().map(|r| quantity(r, "blockNumber") as u64).min().unwrap_or(first);
    eprintln!(
        "rollup: workload in L2 blocks {first_workload}..={last} (range from block {first}, after the output boundary {boundary} was batched)"
    );
    let txs = receipts
        .iter()
        .map(|r| L2Tx {
            execution_fee_wei: quantity(r, "gasUsed") * quantity(r, "effectiveGasPrice"),
            l1_fee_wei: quantity(r, "l1Fee"),
            l1_fee_at_reserve_wei: l1_fee_at_reserve(r),
        })
        .collect();

    // Wait for the batches and an output covering the workload.
    let posting = bar(last + 1 - first, "rollup: batched on L1");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    let (batches, outputs) = loop {
        let batches: Vec<BatchRecord> = net
            .batcher
            .store
            .batches()
            .await?
            .into_iter()
            .filter(|b| b.l2_start >= first)
            .collect();
        let covered = batches.iter().map(|b| b.l2_end).max().unwrap_or(first - 1);
        posting.set_position(covered.saturating_add(1).saturating_sub(first).min(last + 1 - first));
        // The outputs of the workload's blocks: up to the first at or
        // after its last block, and the batches up to the one holding it.
        let outputs: Vec<OutputRecord> = net
            .batcher
            .store
            .outputs()
            .await?
            .into_iter()
            .filter(|o| o.l2_block >= first && o.l2_block <= covered)
            .collect();
        if covered >= last
            && let Some(closing) = outputs.iter().map(|o| o.l2_block).filter(|b| *b >= last).min()
        {
            let outputs: Vec<OutputRecord> =
                outputs.into_iter().filter(|o| o.l2_block <= closing).collect();
            let batches: Vec<BatchRecord> =
                batches.into_iter().filter(|b| b.l2_start <= closing).collect();
            break (batches, outputs);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(eyre!("the workload was not batched and proposed in time"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    posting.finish();
    let end = batches.iter().map(|b| b.l2_end).max().unwrap_or(last);
    let mut blocks = Vec::new();
    for n in first..=end {
        let block: Option<BatchBlock> =
            l2.raw_request("rollup_getBatchBlock".into(), (U64::from(n),)).await?;
        blocks.extend(block);
    }
    let raw_tx_bytes = signed.iter().map(|t| t.raw.len() as u64).sum();
    let hashes = signed.iter().map(|t| t.hash).collect();
    net.shutdown().await;
    Ok(RollupRun { intervals, hashes, txs, raw_tx_bytes, batches, outputs, blocks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l1_fee_at_reserve_reprices_only_the_blob_term() {
        // 0.1 gwei base fee: reserve 6.25 mwei per blob gas; 1 wei paid.
        let receipt = serde_json::json!({
            "l1Fee": "0x3e8", "l1BlobBaseFee": "0x1", "l1GasPrice": "0x5f5e100",
            "l1GasUsed": "0x640", "l1BlobBaseFeeScalar": "0xf4240",
        });
        // 1600 gas / 16 = 100 bytes × (6_250_000 − 1) wei × 1.0
        assert_eq!(l1_fee_at_reserve(&receipt), 1_000 + 624_999_900);
        // Already above the reserve: unchanged.
        let mut above = receipt.clone();
        above["l1BlobBaseFee"] = "0x5f5e100".into();
        assert_eq!(l1_fee_at_reserve(&above), 1_000);
        // No blob scalar (a calldata chain): unchanged.
        let mut calldata = receipt;
        calldata["l1BlobBaseFeeScalar"] = "0x0".into();
        assert_eq!(l1_fee_at_reserve(&calldata), 1_000);
    }
}
