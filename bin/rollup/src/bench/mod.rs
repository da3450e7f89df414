//! `rollup bench fees`: what the same signed workload costs on the L1
//! directly and through the rollup, per transaction, at the same L1 fee
//! state; written as tables, `report.json` and SVG plots.
//!
//! # The runs
//!
//! The workload runs once on a fresh L1 (the **L1-direct** run), then once
//! through a fresh rollup anchored to its own L1 (the **rollup** run): the
//! senders are funded by deposits, the setup (contracts, token grants,
//! approvals) runs, and the bench waits until a batch covering both the
//! setup and the next output boundary is on L1. The workload then starts in
//! a fresh channel just after an output boundary, and the run ends once the
//! batches carrying its blocks and the first output at or after its last
//! block are on L1.
//!
//! # The rollup run's intervals (`Intervals::BENCH`)
//!
//! Chosen as a production chain would relative to its throughput, so that
//! per-transaction amortisation is realistic, while a 20,000-transaction
//! run takes a few minutes on two cores:
//! - **L2 block time 250 ms**, the devnet's. The sequencer includes the
//!   burst at about 1,500 transactions a second (debug build), a few hundred
//!   per block, as busy L2 blocks hold.
//! - **Output every 240 L2 blocks** (one minute). OP mainnet proposes every
//!   1,800 blocks, about 45,000 transactions at its ~25 per block; at the
//!   bench's density 240 blocks hold about 90,000, so the interval is on the
//!   production side, and a 20,000-transaction workload (about 50 blocks)
//!   fits one interval: it pays one whole output, a few times more per
//!   transaction than on OP mainnet (conservative).
//! - **Maximum channel duration 90 s** (`batch_interval`). At the bench's
//!   throughput a six-blob channel fills in about 10 s, so channels close by
//!   being full (as op-batcher's do, which fill six blobs), not by time; the
//!   duration only closes the tail of the burst. It is longer than the
//!   output interval (with room for blocks slower than 250 ms under load) so
//!   that the tail channel also carries the next output block: one tail
//!   batch, then the output.
//!
//! # Accounting
//!
//! Per workload transaction (totals over the workload divided by its
//! transaction count; the `accounting` module has the pure functions):
//! - **L1 direct**: the gas each transaction used on a fresh L1; its cost in
//!   wei is that gas at the L1 execution gas price the rollup actually paid
//!   (the same fee state), and also what it paid in its own run.
//! - **rollup L1 spend**: every batch transaction carrying the workload's L2
//!   blocks (from the fresh channel it started in to the batch holding the
//!   closing output's block, idle blocks included) and every output proposal
//!   from the workload's first block to the first output at or after its
//!   last, from their L1 receipts (gas used × effective gas price, plus blob
//!   gas × blob base fee; the bond is not a cost). Each L1 transaction's
//!   21,000 base gas is included. Reported as paid and with blob gas at
//!   `max(paid, EIP-7918 reserve price of the batch's L1 block)`, since the
//!   simulator's blob base fee sits at 1 wei below the blob target.
//! - **L2 user fee**: execution fee (gas used × effective gas price) plus the
//!   L1 data fee, from the L2 receipts.
//! - `savings_ratio` = L1 direct cost / L2 user fee; `l1_cost_ratio` = L1
//!   direct cost / rollup L1 spend; `fee_coverage` = L1 data fees collected /
//!   rollup L1 spend (as paid; `_reserve` variants at the reserve price).
//! - **Per kind** (transfer, erc20, swap): bytes from the run's channels
//!   restricted to that kind's transactions (same cuts, compression,
//!   encoding and framing), L1-direct gas from the L1-direct run, the run's
//!   spend attributed by bytes (outputs per transaction), and projections
//!   to full calldata and full blob batches from the bytes. For a
//!   single-kind workload the bytes and spend are the measured ones.
//!
//! # Targets (issue 4)
//!
//! Printed last, with the basis of each figure: bytes per ETH transfer at
//! most 75 B; bytes of a mixed workload at most 35% of the raw signed RLP;
//! L1 cost per ETH transfer at least 7x below sending it on L1, in calldata
//! (EIP-7623 floor), and at least 1000x below in blobs at the reserve
//! price; fee coverage 1.0 to 1.5. A cost ratio comes from the run's own
//! spend when its batches used that data availability (measured for a
//! transfer workload, attributed for a mixed one), otherwise it is
//! projected from the bytes (full batches, the run's output gas per
//! transaction).

mod accounting;
mod plots;
mod rpc;
mod run;
pub use run::Intervals;
pub mod workload;

use alloy_primitives::{B256, keccak256};
use clap::Args;
use eyre::{Context, eyre};
use rollup_protocol::batch::{BatchBlock, BatchEncoding, Compression, encode_channel_with};
use serde::Serialize;
use std::path::PathBuf;

/// `rollup bench fees`.
#[derive(Debug, Clone, Args)]
pub struct FeesArgs {
    /// Workload transactions.
    #[arg(long, default_value_t = 2_000)]
    pub txs: usize,
    /// Workload: transfer, erc20, swap or mixed.
    #[arg(long, default_value = "transfer")]
    pub workload: workload::Kind,
    /// Data availability of the rollup run: calldata, blobs or auto.
    #[arg(long, default_value = "calldata")]
    pub da: rollup_batcher::DataAvailability,
    /// Channel compression of the rollup run.
    #[arg(long, default_value = "brotli")]
    pub compression: Compression,
    /// Batch encoding of the rollup run: span or singular.
    #[arg(long, default_value = "span")]
    pub encoding: BatchEncoding,
    /// Seed of the workload.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory of `report.json` and the plots.
    #[arg(long, default_value = "bench-out")]
    pub out: PathBuf,
}

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
fn posted_bytes(
    run: &run::RollupRun,
    compression: Compression,
    encoding: BatchEncoding,
    keep: impl Fn(&[u8]) -> bool,
) -> usize {
    run.batches
        .iter()
        .map(|b| {
            let blocks: Vec<BatchBlock> = run
                .blocks
                .iter()
                .filter(|x| x.number >= b.l2_start && x.number <= b.l2_end)
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

/// Runs the benchmark.
pub async fn run_fees(args: FeesArgs) -> eyre::Result<()> {
    if args.txs == 0 {
        return Err(eyre!("--txs must be at least 1"));
    }
    std::fs::create_dir_all(&args.out)
        .wrap_err_with(|| format!("cannot create {}", args.out.display()))?;
    let senders = (args.txs / 25).clamp(20, 2_000);
    let workload = workload::Workload::generate(args.workload, args.txs, senders, args.seed);
    eprintln!(
        "workload: {} x {} from {senders} senders (seed {})",
        args.txs, args.workload, args.seed
    );
    let started = std::time::Instant::now();
    let direct = run::l1_direct(&workload).await.wrap_err("L1-direct run")?;
    let rollup =
        run::rollup(&workload, args.compression, args.encoding, args.da, run::Intervals::BENCH)
            .await
            .wrap_err("rollup run")?;
    eprintln!("runs took {:.0} s", started.elapsed().as_secs_f64());

    let entry = report(&args, &workload, &direct, &rollup);
    print_table(&entry);
    print_kinds(&entry);
    print_targets(&entry);

    // Bytes per transaction under every compression, from the same blocks.
    let n = args.txs as f64;
    let by_compression: Vec<(String, f64)> = BatchEncoding::ALL
        .iter()
        .flat_map(|e| Compression::ALL.iter().map(move |c| (*c, *e)))
        .map(|(c, e)| (format!("{c} / {e}"), posted_bytes(&rollup, c, e, |_| true) as f64 / n))
        .collect();
    println!(
        "\nbytes posted per transaction by compression and encoding (same blocks, same channels):"
    );
    for (name, bytes) in &by_compression {
        println!("  {name:<20} {bytes:>8.1} B");
    }
    let report_path = args.out.join("report.json");
    std::fs::write(&report_path, serde_json::to_vec_pretty(&vec![entry.clone()])?)?;
    plots::bytes_by_compression(
        &args.out.join("bytes_per_tx.svg"),
        &by_compression,
        entry.raw_rlp_bytes_per_tx,
    )?;
    plots::cost_per_tx(&args.out.join("cost_per_tx.svg"), &entry)?;
    let savings = plots::savings_by_batch_size(&rollup, &entry, args.compression, args.encoding);
    plots::savings_curve(&args.out.join("savings_by_batch_size.svg"), &savings)?;
    println!("\nwrote {} and plots to {}", report_path.display(), args.out.display());
    Ok(())
}

/// Every figure of the report, from the two runs.
fn report(
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
    };
    entry.targets = targets(&entry, args.workload);
    entry
}

/// Signed size of each workload transaction, by hash.
fn workload_raw_sizes(rollup: &run::RollupRun) -> std::collections::HashMap<B256, usize> {
    rollup.blocks.iter().flat_map(|b| &b.transactions).map(|t| (keccak256(t), t.len())).collect()
}

/// The issue-4 targets, from the report's figures. The per-transfer cost
/// ratios come from the run's own spend when its batches used that data
/// availability (measured for a transfer workload, attributed by bytes for
/// a mixed one), else from the pricing model (projected, full batches).
fn targets(e: &ReportEntry, workload: workload::Kind) -> Vec<TargetEntry> {
    let transfer = e.kinds.iter().find(|k| k.kind == workload::Kind::Transfer.to_string());
    let alone = workload == workload::Kind::Transfer;
    let own = if alone { "measured" } else { "attributed (the run's spend shared by bytes)" };
    let projected = "projected (bytes x pricing, full batches)";
    let at_least = |v: f64, t: f64| Some(v >= t);
    let mut out = Vec::new();
    out.push(TargetEntry {
        figure: "bytes posted per ETH transfer".into(),
        value: transfer.map(|t| t.bytes_per_tx),
        unit: "B".into(),
        target: "<= 75 B".into(),
        met: transfer.map(|t| t.bytes_per_tx <= 75.0),
        basis: if alone {
            "measured".into()
        } else {
            "attributed (the run's channels restricted to transfers)".into()
        },
    });
    out.push(TargetEntry {
        figure: "bytes posted / raw signed RLP, mixed workload".into(),
        value: Some(100.0 * e.bytes_ratio),
        unit: "%".into(),
        target: "<= 35%".into(),
        met: (workload == workload::Kind::Mixed).then_some(e.bytes_ratio <= 0.35),
        basis: if workload == workload::Kind::Mixed {
            "measured".into()
        } else {
            format!("measured ({workload} workload; the target is for mixed)")
        },
    });
    let (calldata, calldata_basis) = match (transfer, e.da_used.as_str()) {
        (Some(t), "calldata") => (Some(t.attributed_ratio), own.to_string()),
        (Some(t), _) => (Some(t.projected_calldata_ratio), projected.to_string()),
        (None, _) => (None, "no ETH transfers in the workload".to_string()),
    };
    out.push(TargetEntry {
        figure: "L1 cost per ETH transfer vs L1 direct, calldata (EIP-7623 floor)".into(),
        value: calldata,
        unit: "x".into(),
        target: ">= 7x".into(),
        met: calldata.and_then(|v| at_least(v, 7.0)),
        basis: calldata_basis,
    });
    let (blobs, blobs_basis) = match (transfer, e.da_used.as_str()) {
        (Some(t), "blobs") => {
            (Some(t.attributed_ratio_reserve), format!("{own}, blob gas at the reserve price"))
        }
        (Some(t), _) => (Some(t.projected_blob_ratio), projected.to_string()),
        (None, _) => (None, "no ETH transfers in the workload".to_string()),
    };
    out.push(TargetEntry {
        figure: "L1 cost per ETH transfer vs L1 direct, blobs at the EIP-7918 reserve price".into(),
        value: blobs,
        unit: "x".into(),
        target: ">= 1000x".into(),
        met: blobs.and_then(|v| at_least(v, 1_000.0)),
        basis: blobs_basis,
    });
    out.push(TargetEntry {
        figure: "fee coverage (L1 data fees collected / rollup L1 spend)".into(),
        value: Some(e.fee_coverage),
        unit: String::new(),
        target: "1.0 - 1.5".into(),
        met: Some((1.0..=1.5).contains(&e.fee_coverage)),
        basis: "measured (as paid)".into(),
    });
    if e.blobs > 0 {
        out.push(TargetEntry {
            figure: "fee coverage, blob gas at the EIP-7918 reserve price".into(),
            value: Some(e.fee_coverage_reserve),
            unit: String::new(),
            target: "1.0 - 1.5".into(),
            met: Some((1.0..=1.5).contains(&e.fee_coverage_reserve)),
            basis: "fees and spend with blob gas repriced at the reserve".into(),
        });
    }
    out
}

fn gwei(wei: f64) -> String {
    format!("{:.6} gwei", wei / 1e9)
}

fn print_table(e: &ReportEntry) {
    println!(
        "\nrollup bench fees: {} x {} ({} DA, batches in {}, {} compression, {} encoding)",
        e.txs, e.workload, e.da, e.da_used, e.compression, e.encoding
    );
    println!(
        "chain: L2 block {} ms, max channel duration {} s, output every {} L2 blocks",
        e.intervals.l2_block_time_ms, e.intervals.batch_interval_secs, e.intervals.output_interval
    );
    println!("all figures measured in the run, per workload transaction");
    println!("{:<52} {:>14} {:>22}", "per transaction", "L1 gas", "wei");
    println!(
        "{:<52} {:>14.0} {:>22.0}",
        "L1 directly (at the rollup's L1 gas price)",
        e.l1_direct_gas_per_tx,
        e.l1_direct_cost_per_tx_wei
    );
    println!(
        "{:<52} {:>14} {:>22.0}",
        "L1 directly (paid in its own run)", "", e.l1_direct_paid_per_tx_wei
    );
    println!(
        "{:<52} {:>14.1} {:>22.0}",
        "rollup L1 spend, as paid (batches + outputs)",
        e.rollup_l1_gas_per_tx,
        e.rollup_l1_cost_per_tx_wei
    );
    println!("{:<52} {:>14} {:>22.0}", "  of which batches", "", e.rollup_l1_batch_cost_per_tx_wei);
    println!(
        "{:<52} {:>14} {:>22.0}",
        "  of which output proposals", "", e.rollup_l1_output_cost_per_tx_wei
    );
    println!(
        "{:<52} {:>14} {:>22.0}",
        "rollup L1 spend, blob gas at the reserve price", "", e.rollup_l1_cost_per_tx_reserve_wei
    );
    println!(
        "{:<52} {:>14} {:>22.0}",
        "user paid on L2 (execution + L1 data fee)", "", e.l2_user_fee_per_tx_wei
    );
    println!("{:<52} {:>14} {:>22.0}", "  of which L1 data fee", "", e.l2_l1_data_fee_per_tx_wei);
    println!();
    println!(
        "bytes posted per tx     {:>8.1} B  (raw signed RLP {:.1} B, {:.1}%)",
        e.bytes_per_tx,
        e.raw_rlp_bytes_per_tx,
        100.0 * e.bytes_ratio
    );
    println!("L1 gas price (shared)   {}", gwei(e.l1_gas_price_wei));
    if e.blobs > 0 {
        println!(
            "blob gas per tx         {:>8.1}  (blob base fee paid {} , reserve price {})",
            e.rollup_blob_gas_per_tx,
            gwei(e.blob_base_fee_paid_wei),
            gwei(e.blob_reserve_price_wei)
        );
    }
    println!(
        "L1 cost ratio           {:>8.1}x cheaper than L1 directly as paid, {:.1}x at the reserve blob price",
        e.l1_cost_ratio, e.l1_cost_ratio_reserve
    );
    println!("savings for the user    {:>8.1}x", e.savings_ratio);
    println!(
        "fee coverage            {:>8.2}  (L1 data fees collected / rollup L1 spend as paid; {:.2} at the reserve blob price)",
        e.fee_coverage, e.fee_coverage_reserve
    );
    println!(
        "batches {} ({} in blobs, {} blobs) · outputs {}",
        e.batches, e.blob_batches, e.blobs, e.outputs
    );
}

fn print_kinds(e: &ReportEntry) {
    let single = e.kinds.len() == 1;
    println!(
        "\nper kind of transaction ({}):",
        if single {
            "one kind: bytes and spend measured"
        } else {
            "bytes = the run's channels restricted to the kind [attributed]; spend = the run's shared by bytes, outputs per tx [attributed]"
        }
    );
    println!(
        "  L1 direct gas [measured in the L1-direct run]; projected = bytes x pricing at full batches (calldata: 40 gas/B + 21,000 per {} B; blobs: reserve price + blob tx gas per 6 blobs) + output gas per tx [projected]",
        rollup_batcher::MAX_BATCH_DATA_BYTES
    );
    println!(
        "  {:<9} {:>6} {:>9} {:>9} {:>10} {:>12} {:>12} {:>12} {:>12}",
        "kind",
        "txs",
        "bytes/tx",
        "raw B/tx",
        "L1 gas",
        "paid ratio",
        "reserve rt",
        "proj. cd",
        "proj. blob"
    );
    for k in &e.kinds {
        println!(
            "  {:<9} {:>6} {:>9.1} {:>9.1} {:>10.0} {:>11.1}x {:>11.1}x {:>11.2}x {:>11.0}x",
            k.kind,
            k.txs,
            k.bytes_per_tx,
            k.raw_rlp_bytes_per_tx,
            k.l1_direct_gas_per_tx,
            k.attributed_ratio,
            k.attributed_ratio_reserve,
            k.projected_calldata_ratio,
            k.projected_blob_ratio
        );
    }
}

fn print_targets(e: &ReportEntry) {
    println!("\ntargets:");
    println!("  {:<74} {:>10} {:>10} {:>5}  basis", "figure", "measured", "target", "met");
    for t in &e.targets {
        let value = match (t.value, t.unit.as_str()) {
            (None, _) => "n/a".to_string(),
            (Some(v), "x") => format!("{v:.2}x"),
            (Some(v), "%") => format!("{v:.1}%"),
            (Some(v), "B") => format!("{v:.1} B"),
            (Some(v), _) => format!("{v:.3}"),
        };
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "n/a",
        };
        println!("  {:<74} {:>10} {:>10} {:>5}  {}", t.figure, value, t.target, met, t.basis);
    }
}
