//! SVG plots of the fee benchmark (plotters, with the DejaVu Sans font
//! embedded so rendering needs no system fonts).

use super::{ReportEntry, run::RollupRun};
use alloy_primitives::{B128, Bytes};
use plotters::prelude::*;
use rollup_protocol::{
    batch::{
        BatchBlock, BatchEncoding, Compression, encode_batch_data, encode_channel_with,
        split_channel,
    },
    calldata_gas,
};
use std::{path::Path, sync::Once};

pub(super) const FONT: &str = "sans-serif";

pub(super) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

pub(crate) fn err(e: impl std::fmt::Display) -> eyre::Report {
    eyre::eyre!("plot: {e}")
}

/// Draws the series' legend of `chart` at `position`, boxed on a
/// translucent white background, as every plot of the benches does.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> eyre::Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .draw()
        .map_err(err)
}

/// Bars of bytes posted per transaction for each compression/encoding, with
/// the raw signed size as a line.
pub(crate) fn bytes_by_compression(
    path: &Path,
    bars: &[(String, f64)],
    raw: f64,
) -> eyre::Result<()> {
    register_font();
    let root = SVGBackend::new(path, (1100, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let top = bars.iter().map(|b| b.1).fold(raw, f64::max) * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption("Bytes posted to L1 per transaction", (FONT, 24))
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..bars.len() as f64, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(bars.len())
        .x_label_formatter(&|x| {
            bars.get(x.floor() as usize).map(|b| b.0.clone()).unwrap_or_default()
        })
        .y_desc("bytes per transaction")
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            Rectangle::new([(i as f64 + 0.15, 0.0), (i as f64 + 0.85, *v)], BLUE.mix(0.6).filled())
        }))
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new([(0.0, raw), (bars.len() as f64, raw)], RED.stroke_width(2)))
        .map_err(err)?
        .label(format!("raw signed transaction ({raw:.0} B)"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .background_style(WHITE)
        .label_font((FONT, 14))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Cost per transaction, log scale: L1 directly, the rollup's L1 spend, and
/// what the user paid on L2.
pub(crate) fn cost_per_tx(path: &Path, e: &ReportEntry) -> eyre::Result<()> {
    register_font();
    let paid = format!("rollup L1 spend ({}, paid)", e.da_used);
    let bars = [
        ("L1 directly", e.l1_direct_cost_per_tx_wei),
        (paid.as_str(), e.rollup_l1_cost_per_tx_wei),
        ("rollup L1 spend (reserve blob price)", e.rollup_l1_cost_per_tx_reserve_wei),
        ("user fee on L2", e.l2_user_fee_per_tx_wei),
    ];
    let root = SVGBackend::new(path, (1100, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let lo = bars.iter().map(|b| b.1).fold(f64::MAX, f64::min).max(1.0) / 10.0;
    let hi = bars.iter().map(|b| b.1).fold(1.0, f64::max) * 10.0;
    let mut chart = ChartBuilder::on(&root)
        .caption("Cost per transaction (wei, log scale)", (FONT, 24))
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..bars.len() as f64, (lo..hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(bars.len())
        .x_label_formatter(&|x| {
            bars.get(x.floor() as usize).map(|b| b.0.to_string()).unwrap_or_default()
        })
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            Rectangle::new([(i as f64 + 0.2, lo), (i as f64 + 0.8, *v)], GREEN.mix(0.6).filled())
        }))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Savings (L1 direct gas / rollup L1 gas per transaction) when the
/// workload's transactions are posted in channels of `k` transactions, for
/// growing `k`. The L1 gas of a batch is modelled from the measured batches:
/// 21,000 + the inbox call's execution (measured average over the calldata
/// batches, if any) + the calldata under the EIP-7623 floor
/// (`max(16·nz + 4·z, 10·(z + 4·nz))`).
pub(crate) fn savings_by_batch_size(
    run: &RollupRun,
    e: &ReportEntry,
    compression: Compression,
    encoding: BatchEncoding,
) -> Vec<(u64, f64)> {
    let txs: Vec<Bytes> = run.blocks.iter().flat_map(|b| b.transactions.clone()).collect();
    if txs.is_empty() || run.batches.is_empty() {
        return Vec::new();
    }
    let calldata_cost = |data: &[u8]| {
        let zeros = data.iter().filter(|b| **b == 0).count() as u64;
        let nonzeros = data.len() as u64 - zeros;
        calldata_gas(data).max(10 * (zeros + 4 * nonzeros))
    };
    // Measured execution overhead of appendBatch beyond base and calldata
    // (none measurable when every batch went to blobs).
    let calldata_batches: Vec<_> = run.batches.iter().filter(|b| b.blobs == 0).collect();
    let overhead: f64 = calldata_batches
        .iter()
        .map(|b| b.l1_gas_used as f64 - 21_000.0 - 40.0 * b.data_bytes as f64)
        .sum::<f64>()
        / calldata_batches.len().max(1) as f64;
    let template = &run.blocks[0];
    [1u64, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000]
        .into_iter()
        .filter(|k| *k as usize <= txs.len())
        .map(|k| {
            let chunk = &txs[..k as usize];
            let block = BatchBlock { transactions: chunk.to_vec(), ..template.clone() };
            let data = encode_batch_data(&split_channel(
                B128::ZERO,
                &encode_channel_with(&[block], compression, encoding),
                usize::MAX,
            ));
            let gas = 21_000.0 + overhead.max(0.0) + calldata_cost(&data) as f64;
            (k, e.l1_direct_gas_per_tx / (gas / k as f64))
        })
        .collect()
}

/// Plots [`savings_by_batch_size`].
pub(crate) fn savings_curve(path: &Path, points: &[(u64, f64)]) -> eyre::Result<()> {
    register_font();
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let max_k = points.iter().map(|p| p.0).max().unwrap_or(10).max(10) as f64;
    let max_s = points.iter().map(|p| p.1).fold(1.0, f64::max) * 1.2;
    let mut chart = ChartBuilder::on(&root)
        .caption("L1 gas saved vs batch size (calldata)", (FONT, 24))
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1f64..max_k).log_scale(), 0f64..max_s)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("transactions per batch")
        .y_desc("x cheaper than L1 directly")
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|(k, s)| (*k as f64, *s)),
            BLUE.stroke_width(2),
        ))
        .map_err(err)?;
    chart
        .draw_series(points.iter().map(|(k, s)| Circle::new((*k as f64, *s), 4, BLUE.filled())))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
