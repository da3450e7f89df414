//! SVG plots of `rollup bench throughput`: TPS over time, latency CDF,
//! transactions per block over time, block build time against the
//! accounts the load touched.

use super::report::{RunReport, TARGET_TPS};
use crate::bench::plots::{FONT, err, legend, register_font};
use plotters::prelude::*;
use std::path::Path;

const COLORS: [RGBColor; 4] = [BLUE, RED, GREEN, MAGENTA];

fn name(r: &RunReport) -> String {
    match r.rate_tx_s {
        Some(rate) => format!("{} ({}, {rate:.0} tx/s)", r.label, r.phase),
        None => format!("{} ({})", r.label, r.phase),
    }
}

/// Load transactions included per second, per run, with the target.
pub(crate) fn tps(path: &Path, runs: &[RunReport]) -> eyre::Result<()> {
    register_font();
    let root = SVGBackend::new(path, (1000, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let max_t = runs.iter().map(|r| r.included_per_s.len()).max().unwrap_or(1).max(1) as f64;
    let max_y = runs
        .iter()
        .flat_map(|r| r.included_per_s.iter().copied())
        .max()
        .unwrap_or(0)
        .max(TARGET_TPS as u64) as f64
        * 1.45;
    let mut chart = ChartBuilder::on(&root)
        .caption("Transactions included per second", (FONT, 24))
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..max_t, 0f64..max_y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the first send")
        .y_desc("tx/s")
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (i, r) in runs.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(
                r.included_per_s.iter().enumerate().map(|(s, n)| (s as f64 + 0.5, *n as f64)),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(name(r))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
        chart
            .draw_series(
                r.included_per_s
                    .iter()
                    .enumerate()
                    .map(|(s, n)| Circle::new((s as f64 + 0.5, *n as f64), 3, color.filled())),
            )
            .map_err(err)?;
    }
    chart
        .draw_series(LineSeries::new([(0.0, TARGET_TPS), (max_t, TARGET_TPS)], BLACK.mix(0.5)))
        .map_err(err)?
        .label(format!("target {TARGET_TPS:.0} tx/s"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.5)));
    legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Inclusion latency CDF per run, log-scaled seconds.
pub(crate) fn latency_cdf(path: &Path, runs: &[RunReport]) -> eyre::Result<()> {
    register_font();
    let root = SVGBackend::new(path, (1000, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let lo = runs
        .iter()
        .filter_map(|r| r.latency.cdf_ms.first().copied())
        .filter(|v| *v > 0.0)
        .fold(f64::MAX, f64::min)
        .min(100.0)
        / 1e3
        / 2.0;
    let hi = runs.iter().map(|r| r.latency.max_ms).fold(1_000.0, f64::max) / 1e3 * 2.0;
    let mut chart = ChartBuilder::on(&root)
        .caption("Inclusion latency (send -> seen in a block), CDF", (FONT, 24))
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..100f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds (log scale)")
        .y_desc("% of transactions")
        .x_label_formatter(&|x| format!("{x:.2}"))
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (i, r) in runs.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(
                r.latency.cdf_ms.iter().enumerate().map(|(p, ms)| ((ms / 1e3).max(lo), p as f64)),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(name(r))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Transactions per block over time, per run.
pub(crate) fn block_txs(path: &Path, runs: &[RunReport]) -> eyre::Result<()> {
    register_font();
    let root = SVGBackend::new(path, (1000, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let max_t = runs.iter().flat_map(|r| r.blocks.iter().map(|b| b.seen_s)).fold(1.0, f64::max);
    let max_y = runs.iter().flat_map(|r| r.blocks.iter().map(|b| b.txs)).max().unwrap_or(1).max(1)
        as f64
        * 1.45;
    let mut chart = ChartBuilder::on(&root)
        .caption("Transactions per block", (FONT, 24))
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..max_t, 0f64..max_y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the phase's start (block first seen)")
        .y_desc("transactions")
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (i, r) in runs.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(
                r.blocks.iter().map(|b| Circle::new((b.seen_s, b.txs as f64), 3, color.filled())),
            )
            .map_err(err)?
            .label(name(r))
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Block build time against the accounts the load had touched (the state
/// growing under the load), for the runs that measured it.
pub(crate) fn build_time(path: &Path, runs: &[RunReport]) -> eyre::Result<bool> {
    let measured: Vec<&RunReport> =
        runs.iter().filter(|r| r.blocks.iter().any(|b| b.build_ms.is_some())).collect();
    if measured.is_empty() {
        return Ok(false);
    }
    register_font();
    let root = SVGBackend::new(path, (1000, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let points = |r: &RunReport| -> Vec<(f64, f64, usize)> {
        r.blocks.iter().filter_map(|b| Some((b.accounts as f64, b.build_ms?, b.txs))).collect()
    };
    let all: Vec<(f64, f64, usize)> = measured.iter().flat_map(|r| points(r)).collect();
    let (x0, x1) = all.iter().fold((f64::MAX, 0f64), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
    let max_y = all.iter().map(|p| p.1).fold(1.0, f64::max) * 1.3;
    let mut chart = ChartBuilder::on(&root)
        .caption("Block build time vs accounts touched by the load", (FONT, 24))
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, 0f64..max_y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("accounts touched (funded senders + recipients created)")
        .y_desc("build time, ms (selection, execution, state root, commit)")
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (i, r) in measured.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts = points(r);
        chart
            .draw_series(
                pts.iter().filter(|p| p.2 > 1).map(|p| Circle::new((p.0, p.1), 3, color.filled())),
            )
            .map_err(err)?
            .label(format!("{} (blocks with transactions)", name(r)))
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
        chart
            .draw_series(
                pts.iter().filter(|p| p.2 <= 1).map(|p| Circle::new((p.0, p.1), 2, color.mix(0.3))),
            )
            .map_err(err)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(err)?;
    Ok(true)
}
