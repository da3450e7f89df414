//! The tables `rollup bench fees` prints.

use super::report::ReportEntry;

pub(super) fn gwei(wei: f64) -> String {
    format!("{:.6} gwei", wei / 1e9)
}

pub(super) fn print_table(e: &ReportEntry) {
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

pub(super) fn print_kinds(e: &ReportEntry) {
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

pub(super) fn print_targets(e: &ReportEntry) {
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
