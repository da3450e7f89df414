//! The fee issue's targets, judged from a report entry.

use super::{
    report::{ReportEntry, TargetEntry},
    workload,
};

/// The issue-4 targets, from the report's figures. The per-transfer cost
/// ratios come from the run's own spend when its batches used that data
/// availability (measured for a transfer workload, attributed by bytes for
/// a mixed one), else from the pricing model (projected, full batches).
pub(super) fn targets(e: &ReportEntry, workload: workload::Kind) -> Vec<TargetEntry> {
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
