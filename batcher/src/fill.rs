//! Channel filling: when to close a channel and how many L2 blocks go in it
//! (op-batcher's channel manager, for one channel per L1 transaction).
//!
//! The pure logic lives here so it can be tested without an L1:
//! - [`FillPolicy::trigger`] decides, from the pending blocks' *estimated*
//!   channel size, their count and the age of the oldest, whether to close a
//!   channel now ([`Trigger`]) or keep accumulating.
//! - [`CompressionEstimate`] turns the raw size of pending blocks (their
//!   signed transactions, [`raw_block_size`]) into an estimated channel size with the
//!   compression ratio measured on the last channel encoded. It starts at
//!   1.0 (conservative: compressed channels are smaller than their raw
//!   blocks), so the first "full" guess is early and gets corrected by a
//!   real measurement before anything underfilled is posted.
//! - [`fit_prefix`] finds the longest prefix of the pending blocks whose
//!   encoded channel fits the capacity, with few real encodings: it guesses
//!   the prefix from the measured ratio, then narrows a bracket (largest
//!   prefix known to fit, smallest known not to) by proportional
//!   interpolation on raw bytes, falling back to bisection. Halving would
//!   leave up to half the capacity unused.

use rollup_protocol::batch::BatchBlock;
use std::time::Duration;

/// Why a channel is closed now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The pending blocks are estimated to fill the channel's capacity.
    Full,
    /// As many blocks are pending as a channel may hold.
    MaxBlocks,
    /// The oldest pending block has waited the channel's maximum duration.
    Timeout,
}

/// When to close a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillPolicy {
    /// Most channel bytes (version byte and compressed batches) one L1
    /// transaction carries.
    pub capacity: usize,
    /// Maximum channel duration: once the oldest pending block has waited
    /// this long, whatever is pending is posted.
    pub max_duration: Duration,
    /// Most L2 blocks per channel.
    pub max_blocks: usize,
}

/// A channel whose measured size is at least this share of the capacity
/// counts as full (the next block would rarely fit; waiting for it would
/// mean compressing the whole channel again for a few bytes).
pub const FULL_SHARE: f64 = 0.97;

impl FillPolicy {
    /// Whether to close a channel now, given the pending blocks' count, their
    /// estimated channel size and the age of the oldest. `None`: wait.
    pub fn trigger(
        &self,
        blocks: usize,
        estimated_bytes: usize,
        oldest: Duration,
    ) -> Option<Trigger> {
        if blocks == 0 {
            None
        } else if blocks >= self.max_blocks {
            Some(Trigger::MaxBlocks)
        } else if estimated_bytes >= self.capacity {
            Some(Trigger::Full)
        } else if oldest >= self.max_duration {
            Some(Trigger::Timeout)
        } else {
            None
        }
    }

    /// Whether a measured channel of `len` bytes is full enough to post on a
    /// [`Trigger::Full`].
    pub fn is_full(&self, len: usize) -> bool {
        len as f64 >= FULL_SHARE * self.capacity as f64
    }
}

/// The size of a block before compression: its signed transactions. The
/// block's own fields (number, timestamp, L1 origin) are left out: they
/// take about a byte per block in a compressed span batch, so counting them
/// at their raw size would teach the estimate, from a channel of empty
/// blocks, a ratio far below what transactions compress to.
pub fn raw_block_size(block: &BatchBlock) -> usize {
    block.transactions.iter().map(|t| t.len()).sum()
}

/// Estimated channel bytes per raw byte.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressionEstimate {
    ratio: f64,
}

impl Default for CompressionEstimate {
    fn default() -> Self {
        Self { ratio: Self::INITIAL }
    }
}

impl CompressionEstimate {
    /// The ratio before any channel was measured: no compression.
    pub const INITIAL: f64 = 1.0;
    /// Channels with fewer raw transaction bytes than this say little about
    /// the ratio of a full one (compressors do worse on small inputs, and
    /// the blocks' own fields weigh more), so they do not teach.
    pub const MIN_SAMPLE: usize = 4_096;

    /// The current ratio.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// Estimated channel size of `raw` raw bytes.
    pub fn estimate(&self, raw: usize) -> usize {
        (raw as f64 * self.ratio).ceil() as usize
    }

    /// Learns from a channel of `channel` bytes encoded from `raw` raw bytes.
    pub fn learn(&mut self, raw: usize, channel: usize) {
        if raw >= Self::MIN_SAMPLE {
            self.ratio = (channel as f64 / raw as f64).clamp(0.01, 2.0);
        }
    }
}

/// The longest prefix that fits, with its encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fit<C> {
    /// Blocks in the prefix (at least 1).
    pub blocks: usize,
    /// The encoded channel of that prefix.
    pub channel: C,
    /// Its length in bytes.
    pub len: usize,
    /// Whether it fits the capacity (`false` only when a single block is
    /// already too big; it is returned anyway, the caller decides).
    pub fits: bool,
    /// Raw bytes of the prefix.
    pub raw: usize,
    /// Encodings made.
    pub encodings: usize,
}

/// Most encodings [`fit_prefix`] makes (each compresses up to a channel of
/// raw data; the bracket is usually closed in two or three).
pub const MAX_ENCODINGS: usize = 8;

/// Safety margin of a proportional guess: aim this far below the capacity,
/// so that the guess usually lands just under it rather than just over.
const AIM: f64 = 0.995;

/// The longest prefix of blocks (given by their raw sizes `raw`, at least
/// one) whose encoded channel is at most `capacity` bytes. `encode(n)`
/// encodes the first `n` blocks and returns the channel and its length;
/// `ratio` is the expected channel bytes per raw byte, for the first guess.
///
/// The search keeps a bracket: the largest prefix known to fit and the
/// smallest known not to. The next guess is the prefix whose raw bytes
/// would encode to the capacity, interpolated between the two ends of the
/// bracket once both are measured (regula falsi, on raw bytes), or scaled
/// from the one measurement so far; a guess outside the bracket falls back
/// to bisection. It stops once the next block would not fit at the
/// marginal ratio, when the bracket closes, or after [`MAX_ENCODINGS`].
pub fn fit_prefix<C>(
    raw: &[usize],
    capacity: usize,
    ratio: f64,
    mut encode: impl FnMut(usize) -> (C, usize),
) -> Fit<C> {
    assert!(!raw.is_empty(), "fit_prefix needs at least one block");
    let total = raw.len();
    let cap = capacity as f64;
    // cumulative[n] = raw bytes of the first n blocks.
    let cumulative: Vec<usize> = std::iter::once(0)
        .chain(raw.iter().scan(0usize, |sum, r| {
            *sum += r;
            Some(*sum)
        }))
        .collect();
    // The longest prefix whose raw bytes are at most `target_raw`, at least 1.
    let prefix_within = |target_raw: f64| -> usize {
        cumulative.partition_point(|c| (*c as f64) <= target_raw).saturating_sub(1).clamp(1, total)
    };
    let mut best: Option<Fit<C>> = None; // the largest prefix that fits
    let mut too_big: Option<Fit<C>> = None; // the first block alone, if over
    // The smallest prefix known not to fit: (blocks, encoded length).
    let mut over: Option<(usize, usize)> = None;
    let mut n = prefix_within(cap * AIM / ratio.max(1e-6));
    let mut encodings = 0;
    loop {
        let (channel, len) = encode(n);
        encodings += 1;
        let fits = len <= capacity;
        let fit = Fit { blocks: n, channel, len, fits, raw: cumulative[n], encodings };
        if fits {
            best = Some(fit);
        } else {
            over = Some((n, len));
            if n == 1 {
                too_big = Some(fit);
            }
        }
        let (lo, lo_len) = best.as_ref().map_or((0, 0), |b| (b.blocks, b.len));
        let hi = over.map_or(total + 1, |o| o.0);
        if lo + 1 >= hi || encodings >= MAX_ENCODINGS {
            break;
        }
        // Channel bytes per raw byte at the margin: between the ends of the
        // bracket when both are measured, else the average just measured.
        let marginal = match (lo, over) {
            (1.., Some((o, o_len))) => {
                (o_len - lo_len) as f64 / (cumulative[o] - cumulative[lo]).max(1) as f64
            }
            _ => len as f64 / cumulative[n].max(1) as f64,
        }
        .max(1e-6);
        if fits && lo_len as f64 + raw[lo] as f64 * marginal > cap {
            break; // the next block would not fit
        }
        let guess = if lo > 0 {
            prefix_within(cumulative[lo] as f64 + (cap - lo_len as f64) / marginal)
        } else {
            prefix_within(cap * AIM / marginal)
        };
        n = if guess > lo && guess < hi {
            guess
        } else if fits && guess <= lo {
            lo + 1
        } else {
            lo + (hi - lo) / 2
        };
    }
    let mut fit = best.or(too_big).expect("one encoding at least");
    fit.encodings = encodings;
    fit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> FillPolicy {
        FillPolicy { capacity: 100_000, max_duration: Duration::from_secs(10), max_blocks: 50 }
    }

    #[test]
    fn waits_until_full_or_old_or_many() {
        let p = policy();
        let young = Duration::from_secs(1);
        assert_eq!(p.trigger(0, 0, Duration::from_secs(99)), None, "nothing pending");
        assert_eq!(p.trigger(3, 10_000, young), None, "small and young: keep filling");
        assert_eq!(p.trigger(3, 100_000, young), Some(Trigger::Full));
        assert_eq!(p.trigger(3, 10_000, Duration::from_secs(10)), Some(Trigger::Timeout));
        assert_eq!(p.trigger(50, 10, young), Some(Trigger::MaxBlocks));
        // Tiny chains: one empty block still posts within the duration.
        assert_eq!(p.trigger(1, 40, Duration::from_secs(10)), Some(Trigger::Timeout));
        assert!(p.is_full(97_000) && !p.is_full(96_000));
    }

    #[test]
    fn the_estimate_starts_conservative_and_learns_from_big_channels() {
        let mut e = CompressionEstimate::default();
        assert_eq!(e.estimate(1_000), 1_000);
        e.learn(1_000, 100); // too small a sample
        assert_eq!(e.ratio(), CompressionEstimate::INITIAL);
        e.learn(200_000, 120_000);
        assert!((e.ratio() - 0.6).abs() < 1e-9);
        assert_eq!(e.estimate(100_000), 60_000);
    }

    /// A fake encoder: `ratio` of the raw bytes plus a fixed header.
    fn encoder(raw: &[usize], ratio: f64) -> impl FnMut(usize) -> ((), usize) + '_ {
        move |n| ((), 1 + (raw[..n].iter().sum::<usize>() as f64 * ratio) as usize)
    }

    #[test]
    fn finds_the_longest_fitting_prefix_in_few_encodings() {
        let raw: Vec<usize> = (0..400).map(|i| 1_000 + (i * 37) % 900).collect();
        // The first guess (ratio 1.0) is far too small; the measured ratio
        // (0.55) then points close to the capacity.
        let fit = fit_prefix(&raw, 120_000, 1.0, encoder(&raw, 0.55));
        assert!(fit.fits && fit.len <= 120_000);
        let next = 1 + ((raw[..=fit.blocks].iter().sum::<usize>()) as f64 * 0.55) as usize;
        assert!(next > 120_000, "one more block would not fit");
        assert!(fit.len as f64 > 0.98 * 120_000.0, "filled: {}", fit.len);
        assert!(fit.encodings <= 3, "{} encodings", fit.encodings);
        // A ratio guessed too optimistic overshoots first, then corrects.
        let fit = fit_prefix(&raw, 120_000, 0.3, encoder(&raw, 0.55));
        assert!(fit.fits && fit.len as f64 > 0.98 * 120_000.0);
        assert!(fit.encodings <= 4, "{} encodings", fit.encodings);
    }

    #[test]
    fn everything_fits_and_a_single_big_block_is_returned() {
        let raw = vec![500; 10];
        let fit = fit_prefix(&raw, 120_000, 1.0, encoder(&raw, 0.5));
        assert_eq!((fit.blocks, fit.encodings, fit.fits), (10, 1, true));
        let raw = vec![300_000, 10];
        let fit = fit_prefix(&raw, 120_000, 1.0, encoder(&raw, 0.5));
        assert_eq!((fit.blocks, fit.fits), (1, false), "one block alone is over the capacity");
    }

    #[test]
    fn compression_that_varies_along_the_blocks_still_converges() {
        // Early blocks compress well, later ones badly: the ratio measured on
        // a long prefix underestimates the tail.
        let raw = vec![1_000; 1_000];
        let encode = |n: usize| {
            let len: f64 = (0..n).map(|i| if i < 300 { 200.0 } else { 900.0 }).sum();
            ((), len as usize)
        };
        let fit = fit_prefix(&raw, 200_000, 0.2, encode);
        let expected = 300 + (200_000 - 60_000) / 900; // 455 blocks fit
        assert!(fit.fits);
        assert_eq!(fit.blocks, expected);
        assert!(fit.encodings <= 6, "{} encodings", fit.encodings);
    }
}
