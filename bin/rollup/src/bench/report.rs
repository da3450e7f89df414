//! The report of `rollup bench fees`: its entries (what `report.json`
//! holds) and every figure computed from the two runs.

use super::{FeesArgs, Intervals, accounting, run, targets::targets, workload};
use alloy_primitives::{B256, keccak256};
use rollup_protocol::batch::{BatchBlock, BatchEncoding, Compression, encode_channel_with};
use serde::Serialize;

/// One run of the report (`report.json` holds a list of them).
#[derive(Debug, Clone, Serialize)]
pub struct ReportEntry {
    /// Workload name.
    pub workload: String,
    /// Data availability asked for.
    pub da: String,
    /// Data availability the workload's batches used: calldata, blobs or mixed.
    pub da_used: String,
    /// Channel compression.
    pub compression: String,
    /// Batch encoding.
    pub encoding: String,
    /// Workload transactions.
    pub txs: usize,
    /// The rollup chain's intervals in this run.
    pub intervals: Intervals,
    /// Batch data posted to L1 per transaction, bytes.
    pub bytes_per_tx: f64,
    /// EIP-2718 signed transaction size per transaction, bytes.
    pub raw_rlp_bytes_per_tx: f64,
    /// `bytes_per_tx / raw_rlp_bytes_per_tx`.
    pub bytes_ratio: f64,
    /// L1 gas per transaction when sent to the L1 directly.
    pub l1_direct_gas_per_tx: f64,
    /// Its cost at the rollup run's L1 gas price, wei.
    pub l1_direct_cost_per_tx_wei: f64,
    /// What it paid in its own L1 run, wei.
    pub l1_direct_paid_per_tx_wei: f64,
    /// Rollup L1 execution gas per transaction (batches and outputs).
    pub rollup_l1_gas_per_tx: f64,
    /// Rollup blob gas per transaction.
    pub rollup_blob_gas_per_tx: f64,
    /// Rollup L1 spend per transaction as paid, wei.
    pub rollup_l1_cost_per_tx_wei: f64,
    /// Rollup L1 spend per transaction with blob gas at
    /// `max(paid, EIP-7918 reserve price)` of each batch's L1 block, wei.
    pub rollup_l1_cost_per_tx_reserve_wei: f64,
    /// Of which batches (paid), wei.
    pub rollup_l1_batch_cost_per_tx_wei: f64,
    /// Of which output proposals, wei.
    pub rollup_l1_output_cost_per_tx_wei: f64,
    /// L1 execution gas price the rollup paid (the shared fee state), wei per gas.
    pub l1_gas_price_wei: f64,
    /// Blob base fee paid, averaged over the blob gas, wei per blob gas.
    pub blob_base_fee_paid_wei: f64,
    /// Reserve price of the blob batches' L1 blocks, averaged over the blob
    /// gas, wei per blob gas.
    pub blob_reserve_price_wei: f64,
    /// What the user paid on L2 per transaction, wei.
    pub l2_user_fee_per_tx_wei: f64,
    /// Of which execution, wei.
    pub l2_execution_fee_per_tx_wei: f64,
    /// Of which L1 data fee, wei.
    pub l2_l1_data_fee_per_tx_wei: f64,
    /// L1 direct cost / L2 user fee.
    pub savings_ratio: f64,
    /// L1 direct cost / rollup L1 spend (paid).
    pub l1_cost_ratio: f64,
    /// L1 direct cost / rollup L1 spend (blob gas at the reserve price).
    pub l1_cost_ratio_reserve: f64,
    /// L1 data fees collected / rollup L1 spend (paid).
    pub fee_coverage: f64,
    /// L1 data fees / rollup L1 spend, both with blob gas at the reserve
    /// price (the fee formula's blob term and the batches' blob gas).
    pub fee_coverage_reserve: f64,
    /// Batch transactions posted.
    pub batches: usize,
    /// Of which blob batches.
    pub blob_batches: usize,
    /// Blobs posted.
    pub blobs: u64,
    /// Output proposals in the range.
    pub outputs: usize,
    /// Per kind of transaction.
    pub kinds: Vec<KindEntry>,
    /// The fee targets (issue 4).
    pub targets: Vec<TargetEntry>,
    /// The same blocks and channels encoded by the OP Stack's span-batch
    /// encoder (kona-protocol), bytes per transaction.
    pub peer_encoding: Option<super::kona::KonaBytes>,
}

/// One kind of transaction of the run (for a mixed workload, attributed).
#[derive(Debug, Clone, Serialize)]
pub struct KindEntry {
    /// transfer, erc20 or swap.
    pub kind: String,
    /// Transactions of that kind.
    pub txs: usize,
    /// Batch data bytes per transaction: channels of the run's blocks
    /// restricted to this kind (measured when it is the only kind).
    pub bytes_per_tx: f64,
    /// Signed size per transaction, bytes.
    pub raw_rlp_bytes_per_tx: f64,
    /// L1 gas per transaction when sent to the L1 directly (measured).
    pub l1_direct_gas_per_tx: f64,
    /// The run's L1 spend attributed to it per transaction, as paid, wei.
    pub attributed_l1_cost_per_tx_wei: f64,
    /// The same with blob gas at the reserve price, wei.
    pub attributed_l1_cost_per_tx_reserve_wei: f64,
    /// L1 direct cost / attributed spend (paid).
    pub attributed_ratio: f64,
    /// L1 direct cost / attributed spend (reserve blob price).
    pub attributed_ratio_reserve: f64,
    /// Projected L1 gas per transaction in full calldata batches.
    pub projected_calldata_gas_per_tx: f64,
    /// L1 direct gas / projected calldata gas.
    pub projected_calldata_ratio: f64,
    /// Projected L1 gas-equivalent per transaction in full blob batches at
    /// the reserve price.
    pub projected_blob_gas_per_tx: f64,
    /// L1 direct gas / projected blob gas-equivalent.
    pub projected_blob_ratio: f64,
}

/// One fee target and where the run stands.
#[derive(Debug, Clone, Serialize)]
pub struct TargetEntry {
    /// What is measured.
    pub figure: String,
    /// The figure (`None` when the run cannot tell).
    pub value: Option<f64>,
    /// Its unit (`B`, `%`, `x`, or empty).
    pub unit: String,
    /// The target, as text.
    pub target: String,
    /// Whether it is met (`None`: not applicable to this run).
    pub met: Option<bool>,
    /// How the figure was obtained: measured, attributed or projected.
    pub basis: String,
}

/// Batch data bytes of the workload's blocks under `compression` and
/// `encoding`, channels cut as the batcher cut them and framed as they were
/// posted (calldata or blobs), keeping in the blocks only the transactions
/// (EIP-2718 bytes) that `keep` accepts.
pub(super) fn posted_bytes(
    run: &run::RollupRun,
    compression: Compression,
    encoding: BatchEncoding,
    keep: impl Fn(&[u8]) -> bool,
) -> usize {
    run.batches
        .iter()
        .map(|b| {
            let blocks: Vec<BatchBlock> = channel_blocks(run, b)
                .map(|x| BatchBlock {
                    transactions: x.transactions.iter().filter(|t| keep(t)).cloned().collect(),
                    ..x.clone()
                })
                .collect();
            let channel = encode_channel_with(&blocks, compression, encoding);
            accounting::posted_bytes(channel.len(), b.blobs > 0)
        })
        .sum()
}

/// The run's blocks that batch `b` carried, in order: its channel's cut.
pub(super) fn channel_blocks<'a>(
    run: &'a run::RollupRun,
    b: &'a rollup_batcher::BatchRecord,
) -> impl Iterator<Item = &'a BatchBlock> + 'a {
    run.blocks.iter().filter(|x| x.number >= b.l2_start && x.number <= b.l2_end)
}

/// Every figure of the report, from the two runs.
pub(super) fn report(
    args: &FeesArgs,
    workload: &workload::Workload,
    direct: &run::DirectRun,
    rollup: &run::RollupRun,
) -> ReportEntry {
    let n = args.txs as f64;
    let spend = accounting::Spend::of(&rollup.batches, &rollup.outputs);
    let price = spend.gas_price();
    let direct_gas: u64 = direct.txs.iter().map(|t| t.gas_used).sum();
    let direct_paid: u128 = direct.txs.iter().map(|t| t.paid_wei).sum();
    let execution: f64 = rollup.txs.iter().map(|t| t.execution_fee_wei as f64).sum();
    let l1_fees: f64 = rollup.txs.iter().map(|t| t.l1_fee_wei as f64).sum();
    let l1_fees_reserve: f64 = rollup.txs.iter().map(|t| t.l1_fee_at_reserve_wei as f64).sum();
    let direct_cost = direct_gas as f64 * price;
    let paid = spend.paid_wei() as f64;
    let reserve = spend.reserve_wei() as f64;
    let da_used = match (spend.blob_batches, spend.batches) {
        (0, _) => "calldata",
        (b, all) if b == all => "blobs",
        _ => "mixed",
    };
    let blob_gas = spend.blob_gas.max(1) as f64;

    // Per kind: bytes from the run's channels restricted to the kind, L1
    // direct gas from the direct run.
    let kind_of: std::collections::HashMap<B256, workload::Kind> =
        rollup.hashes.iter().copied().zip(workload.kinds.iter().copied()).collect();
    let raw_sizes: std::collections::HashMap<B256, usize> = workload_raw_sizes(rollup);
    let pricing = accounting::Pricing {
        blob_batch_gas: spend
            .blob_batch_gas(&rollup.batches)
            .unwrap_or(accounting::BLOB_BATCH_GAS_ESTIMATE),
        output_gas_per_tx: spend.output_gas as f64 / n,
    };
    let present: Vec<workload::Kind> =
        workload::Kind::MEASURED.iter().copied().filter(|k| workload.kinds.contains(k)).collect();
    let usages: Vec<accounting::KindUsage> = present
        .iter()
        .map(|kind| accounting::KindUsage {
            kind: *kind,
            txs: workload.kinds.iter().filter(|k| *k == kind).count(),
            bytes: posted_bytes(rollup, args.compression, args.encoding, |t| {
                kind_of.get(&keccak256(t)) == Some(kind)
            }) as u64,
        })
        .collect();
    let attributed = accounting::attribute(&spend, &usages);
    let kinds: Vec<KindEntry> = usages
        .iter()
        .zip(&attributed)
        .map(|(u, a)| {
            let k = u.txs.max(1) as f64;
            let of_kind = || workload.kinds.iter().enumerate().filter(|(_, x)| **x == u.kind);
            let direct_gas = of_kind().map(|(i, _)| direct.txs[i].gas_used as f64).sum::<f64>() / k;
            let raw = of_kind().map(|(i, _)| raw_sizes[&rollup.hashes[i]] as f64).sum::<f64>() / k;
            let bytes = u.bytes as f64 / k;
            let calldata = pricing.calldata_gas(bytes);
            let blob = pricing.blob_gas(bytes);
            KindEntry {
                kind: u.kind.to_string(),
                txs: u.txs,
                bytes_per_tx: bytes,
                raw_rlp_bytes_per_tx: raw,
                l1_direct_gas_per_tx: direct_gas,
                attributed_l1_cost_per_tx_wei: a.paid(),
                attributed_l1_cost_per_tx_reserve_wei: a.reserve(),
                attributed_ratio: direct_gas * price / a.paid().max(1.0),
                attributed_ratio_reserve: direct_gas * price / a.reserve().max(1.0),
                projected_calldata_gas_per_tx: calldata,
                projected_calldata_ratio: direct_gas / calldata,
                projected_blob_gas_per_tx: blob,
                projected_blob_ratio: direct_gas / blob,
            }
        })
        .collect();

    let mut entry = ReportEntry {
        workload: args.workload.to_string(),
        da: args.da.to_string(),
        da_used: da_used.to_string(),
        compression: args.compression.to_string(),
        encoding: args.encoding.to_string(),
        txs: args.txs,
        intervals: rollup.intervals,
        bytes_per_tx: spend.data_bytes as f64 / n,
        raw_rlp_bytes_per_tx: rollup.raw_tx_bytes as f64 / n,
        bytes_ratio: spend.data_bytes as f64 / rollup.raw_tx_bytes.max(1) as f64,
        l1_direct_gas_per_tx: direct_gas as f64 / n,
        l1_direct_cost_per_tx_wei: direct_cost / n,
        l1_direct_paid_per_tx_wei: direct_paid as f64 / n,
        rollup_l1_gas_per_tx: (spend.batch_gas + spend.output_gas) as f64 / n,
        rollup_blob_gas_per_tx: spend.blob_gas as f64 / n,
        rollup_l1_cost_per_tx_wei: paid / n,
        rollup_l1_cost_per_tx_reserve_wei: reserve / n,
        rollup_l1_batch_cost_per_tx_wei: spend.batch_paid_wei() as f64 / n,
        rollup_l1_output_cost_per_tx_wei: spend.output_wei as f64 / n,
        l1_gas_price_wei: price,
        blob_base_fee_paid_wei: spend.blob_paid_wei as f64 / blob_gas,
        blob_reserve_price_wei: spend.blob_reserve_wei as f64 / blob_gas,
        l2_user_fee_per_tx_wei: (execution + l1_fees) / n,
        l2_execution_fee_per_tx_wei: execution / n,
        l2_l1_data_fee_per_tx_wei: l1_fees / n,
        savings_ratio: direct_cost / (execution + l1_fees).max(1.0),
        l1_cost_ratio: direct_cost / paid.max(1.0),
        l1_cost_ratio_reserve: direct_cost / reserve.max(1.0),
        fee_coverage: l1_fees / paid.max(1.0),
        fee_coverage_reserve: l1_fees_reserve / reserve.max(1.0),
        batches: spend.batches,
        blob_batches: spend.blob_batches,
        blobs: spend.blobs,
        outputs: spend.outputs,
        kinds,
        targets: Vec::new(),
        peer_encoding: None,
    };
    entry.targets = targets(&entry, args.workload);
    entry
}

/// Signed size of each workload transaction, by hash.
pub(super) fn workload_raw_sizes(
    rollup: &run::RollupRun,
) -> std::collections::HashMap<B256, usize> {
    rollup.blocks.iter().flat_map(|b| &b.transactions).map(|t| (keccak256(t), t.len())).collect()
}
