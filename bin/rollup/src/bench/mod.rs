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
//! - **Peer encoding**: the same blocks, cut into the same channels and
//!   framed the same way, encoded by the OP Stack's own span-batch encoder
//!   (`kona-protocol`, as op-batcher with `--batch-type=1
//!   --compression-algo=brotli` builds a channel: one span batch,
//!   `rlp_string(0x01 ++ raw span batch)`, `0x01 ++ brotli`), compressed
//!   under our brotli settings and under op-batcher's `brotli-10`
//!   (`report.json`'s `peer_encoding`; the `kona` module).
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

// Layout: `run.rs` runs the two chains, `accounting.rs` prices what they
// posted, `kona.rs` re-encodes the blocks with the OP Stack's encoder,
// `report.rs` computes the report's figures, `targets.rs` judges
// them, `tables.rs` prints them and `plots.rs` draws them.
mod accounting;
mod kona;
mod plots;
mod report;
mod rpc;
mod run;
pub mod soak;
mod tables;
mod targets;
pub mod throughput;
pub use report::{KindEntry, ReportEntry, TargetEntry};
pub use run::Intervals;
pub mod workload;

use clap::Args;
use eyre::{Context, eyre};
use report::posted_bytes;
use rollup_protocol::batch::{BatchEncoding, Compression};
use std::path::PathBuf;
use tables::{print_kinds, print_table, print_targets};

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

    let entry = report::report(&args, &workload, &direct, &rollup);
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
    // The peer: the OP Stack's span-batch encoder on the same channels.
    let ours = posted_bytes(&rollup, Compression::Brotli, BatchEncoding::Span, |_| true) as f64 / n;
    let peer = kona::bytes_per_tx(&rollup, rollup_protocol::L2_CHAIN_ID, args.txs)
        .wrap_err("encoding the blocks with kona-protocol")?;
    println!(
        "\nbytes posted per transaction, ours against the OP Stack's span batch (kona-protocol 0.4.5), same blocks and channels:"
    );
    println!("  {:<48} {ours:>8.1} B", "ours: span, brotli q9");
    println!(
        "  {:<48} {:>8.1} B  ({:.2}x ours)",
        "kona-protocol: span, brotli q9",
        peer.span_same_brotli,
        peer.span_same_brotli / ours.max(f64::MIN_POSITIVE)
    );
    println!(
        "  {:<48} {:>8.1} B  ({:.2}x ours)",
        "kona-protocol: span, brotli-10 (op-batcher's)",
        peer.span_op_batcher_brotli,
        peer.span_op_batcher_brotli / ours.max(f64::MIN_POSITIVE)
    );
    let mut entry = entry;
    entry.peer_encoding = Some(peer);
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
