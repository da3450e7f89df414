//! `rollup bench fees`: what the same signed workload costs on the L1
//! directly and through the rollup, per transaction, at the same L1 fee
//! state; written as a table, `report.json` and SVG plots.
//!
//! Accounting, per workload transaction (all figures are totals over the
//! workload divided by its transaction count):
//! - **L1 direct**: the gas each transaction used on a fresh L1; its cost in
//!   wei is that gas at the L1 gas price the rollup's batcher actually paid
//!   (the same fee state), and also what it paid in its own run.
//! - **rollup L1 spend**: every batch transaction carrying the workload's L2
//!   blocks (from the first block after the setup was batched to the last
//!   workload block, empty blocks included) and every output proposal in that
//!   range, from their L1 receipts (gas used × effective gas price; the bond
//!   is not a cost). Each L1 transaction's 21,000 base gas is included.
//! - **L2 user fee**: execution fee (gas used × effective gas price) plus the
//!   L1 data fee, from the L2 receipts.
//! - `savings_ratio` = L1 direct cost / L2 user fee; `l1_cost_ratio` = L1
//!   direct cost / rollup L1 spend; `fee_coverage` = L1 data fees collected /
//!   rollup L1 spend.

mod plots;
mod rpc;
mod run;
pub mod workload;

use alloy_primitives::B128;
use clap::Args;
use eyre::{Context, eyre};
use rollup_protocol::batch::{
    BatchEncoding, Compression, encode_batch_data, encode_channel_with, split_channel,
};
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
    /// Data availability.
    pub da: String,
    /// Channel compression.
    pub compression: String,
    /// Batch encoding.
    pub encoding: String,
    /// Workload transactions.
    pub txs: usize,
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
    /// Rollup L1 gas per transaction (batches and outputs).
    pub rollup_l1_gas_per_tx: f64,
    /// Rollup L1 spend per transaction, wei.
    pub rollup_l1_cost_per_tx_wei: f64,
    /// Of which batches, wei.
    pub rollup_l1_batch_cost_per_tx_wei: f64,
    /// Of which output proposals, wei.
    pub rollup_l1_output_cost_per_tx_wei: f64,
    /// L1 gas price the rollup paid (the shared fee state), wei per gas.
    pub l1_gas_price_wei: f64,
    /// What the user paid on L2 per transaction, wei.
    pub l2_user_fee_per_tx_wei: f64,
    /// Of which execution, wei.
    pub l2_execution_fee_per_tx_wei: f64,
    /// Of which L1 data fee, wei.
    pub l2_l1_data_fee_per_tx_wei: f64,
    /// L1 direct cost / L2 user fee.
    pub savings_ratio: f64,
    /// L1 direct cost / rollup L1 spend.
    pub l1_cost_ratio: f64,
    /// L1 data fees collected / rollup L1 spend.
    pub fee_coverage: f64,
    /// Batch transactions posted.
    pub batches: usize,
    /// Output proposals in the range.
    pub outputs: usize,
}

/// Bytes per transaction of the workload's blocks under `compression`,
/// channels cut as the batcher cut them.
fn bytes_per_tx(
    run: &run::RollupRun,
    compression: Compression,
    encoding: BatchEncoding,
    txs: usize,
) -> f64 {
    let total: usize = run
        .batches
        .iter()
        .map(|b| {
            let blocks: Vec<_> = run
                .blocks
                .iter()
                .filter(|x| x.number >= b.l2_start && x.number <= b.l2_end)
                .cloned()
                .collect();
            let channel = encode_channel_with(&blocks, compression, encoding);
            encode_batch_data(&split_channel(
                B128::ZERO,
                &channel,
                rollup_batcher::MAX_BATCH_DATA_BYTES,
            ))
            .len()
        })
        .sum();
    total as f64 / txs as f64
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
    let direct = run::l1_direct(&workload).await.wrap_err("L1-direct run")?;
    let rollup = run::rollup(&workload, args.compression, args.encoding, args.da)
        .await
        .wrap_err("rollup run")?;

    let n = args.txs as f64;
    let direct_gas: u64 = direct.txs.iter().map(|t| t.gas_used).sum();
    let direct_paid: u128 = direct.txs.iter().map(|t| t.paid_wei).sum();
    let batch_gas: u64 = rollup.batches.iter().map(|b| b.l1_gas_used).sum();
    let output_gas: u64 = rollup.outputs.iter().map(|o| o.l1_gas_used).sum();
    let batch_wei: f64 =
        rollup.batches.iter().map(|b| b.l1_fee_wei.saturating_to::<u128>() as f64).sum();
    let output_wei: f64 =
        rollup.outputs.iter().map(|o| o.l1_fee_wei.saturating_to::<u128>() as f64).sum();
    let rollup_wei = batch_wei + output_wei;
    let price = rollup_wei / (batch_gas + output_gas).max(1) as f64;
    let data_bytes: u64 = rollup.batches.iter().map(|b| b.data_bytes).sum();
    let execution: f64 = rollup.txs.iter().map(|t| t.execution_fee_wei as f64).sum();
    let l1_fees: f64 = rollup.txs.iter().map(|t| t.l1_fee_wei as f64).sum();
    let direct_cost = direct_gas as f64 * price;
    let entry = ReportEntry {
        workload: args.workload.to_string(),
        da: args.da.to_string(),
        compression: args.compression.to_string(),
        encoding: args.encoding.to_string(),
        txs: args.txs,
        bytes_per_tx: data_bytes as f64 / n,
        raw_rlp_bytes_per_tx: rollup.raw_tx_bytes as f64 / n,
        bytes_ratio: data_bytes as f64 / rollup.raw_tx_bytes.max(1) as f64,
        l1_direct_gas_per_tx: direct_gas as f64 / n,
        l1_direct_cost_per_tx_wei: direct_cost / n,
        l1_direct_paid_per_tx_wei: direct_paid as f64 / n,
        rollup_l1_gas_per_tx: (batch_gas + output_gas) as f64 / n,
        rollup_l1_cost_per_tx_wei: rollup_wei / n,
        rollup_l1_batch_cost_per_tx_wei: batch_wei / n,
        rollup_l1_output_cost_per_tx_wei: output_wei / n,
        l1_gas_price_wei: price,
        l2_user_fee_per_tx_wei: (execution + l1_fees) / n,
        l2_execution_fee_per_tx_wei: execution / n,
        l2_l1_data_fee_per_tx_wei: l1_fees / n,
        savings_ratio: direct_cost / (execution + l1_fees).max(1.0),
        l1_cost_ratio: direct_cost / rollup_wei.max(1.0),
        fee_coverage: l1_fees / rollup_wei.max(1.0),
        batches: rollup.batches.len(),
        outputs: rollup.outputs.len(),
    };
    print_table(&entry);

    // Bytes per transaction under every compression, from the same blocks.
    let by_compression: Vec<(String, f64)> = BatchEncoding::ALL
        .iter()
        .flat_map(|e| Compression::ALL.iter().map(move |c| (*c, *e)))
        .map(|(c, e)| (format!("{c} / {e}"), bytes_per_tx(&rollup, c, e, args.txs)))
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

fn gwei(wei: f64) -> String {
    format!("{:.6} gwei·gas", wei / 1e9)
}

fn print_table(e: &ReportEntry) {
    println!(
        "\nrollup bench fees: {} x {} ({} DA, {} compression, {} encoding)",
        e.txs, e.workload, e.da, e.compression, e.encoding
    );
    println!("{:<44} {:>18} {:>22}", "per transaction", "gas", "wei");
    println!(
        "{:<44} {:>18.0} {:>22.0}",
        "L1 directly (at the rollup's L1 gas price)",
        e.l1_direct_gas_per_tx,
        e.l1_direct_cost_per_tx_wei
    );
    println!(
        "{:<44} {:>18} {:>22.0}",
        "L1 directly (paid in its own run)", "", e.l1_direct_paid_per_tx_wei
    );
    println!(
        "{:<44} {:>18.1} {:>22.0}",
        "rollup L1 spend (batches + outputs)", e.rollup_l1_gas_per_tx, e.rollup_l1_cost_per_tx_wei
    );
    println!("{:<44} {:>18} {:>22.0}", "  of which batches", "", e.rollup_l1_batch_cost_per_tx_wei);
    println!(
        "{:<44} {:>18} {:>22.0}",
        "  of which output proposals", "", e.rollup_l1_output_cost_per_tx_wei
    );
    println!(
        "{:<44} {:>18} {:>22.0}",
        "user paid on L2 (execution + L1 data fee)", "", e.l2_user_fee_per_tx_wei
    );
    println!("{:<44} {:>18} {:>22.0}", "  of which L1 data fee", "", e.l2_l1_data_fee_per_tx_wei);
    println!();
    println!(
        "bytes posted per tx     {:>8.1} B  (raw signed RLP {:.1} B, {:.1}%)",
        e.bytes_per_tx,
        e.raw_rlp_bytes_per_tx,
        100.0 * e.bytes_ratio
    );
    println!("L1 gas price (shared)   {}", gwei(e.l1_gas_price_wei));
    println!("L1 cost ratio           {:>8.1}x cheaper than L1 directly", e.l1_cost_ratio);
    println!("savings for the user    {:>8.1}x", e.savings_ratio);
    println!(
        "fee coverage            {:>8.2}  (L1 data fees collected / rollup L1 spend)",
        e.fee_coverage
    );
    println!("batches {} · outputs {}", e.batches, e.outputs);
}
