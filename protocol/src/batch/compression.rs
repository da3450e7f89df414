//! Channel compression algorithms and bounded decompression.
//!
//! A channel is `channel_version_byte ++ compress(rlp(batches))` (see
//! [`encode_channel`](super::encode_channel)). The OP Stack "Channel Format" section fixes the
//! compression per channel (zlib in Bedrock, brotli since Fjord) and caps the decompressed
//! size of a channel at `MAX_RLP_BYTES_PER_CHANNEL`; this module implements the four
//! algorithms a channel may name and a decompressor that enforces that cap while decoding,
//! so a "zip bomb" fails after producing at most the cap, never allocating more.
//!
//! Decoding is strict so that every node derives the same result from the same bytes: the
//! compressed payload must be exactly one complete stream (no truncation, no trailing bytes).

use std::{fmt, io::Write as _, str::FromStr};

use brotli::{BrotliDecompressStream, BrotliResult, BrotliState, enc::StandardAlloc};
use flate2::{Decompress, FlushDecompress, Status};
use serde::{Deserialize, Serialize};
use zstd::stream::raw::{DParameter, Operation as _};

use super::BatchError;

/// One complete brotli stream of `data` at `quality` (0..=11) with a
/// [`BROTLI_LGWIN`] window: [`Compression::compress`] at
/// [`BROTLI_QUALITY`], and other qualities for comparisons (op-batcher's
/// `brotli-10`).
///
/// # Panics
///
/// Only on allocation failure, as [`Compression::compress`].
pub fn compress_brotli(data: &[u8], quality: u32) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: quality as i32,
        lgwin: BROTLI_LGWIN as i32,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)
        .expect("brotli compression into a Vec cannot fail");
    out
}

/// Brotli quality (0..=11) used by [`Compression::compress`].
///
/// Quality 9 gets within a few percent of quality 11 on batch data at a fraction of the CPU
/// cost, a good trade-off for a batcher that recompresses every channel it builds.
pub const BROTLI_QUALITY: u32 = 9;

/// Brotli window size as a base-2 logarithm (`lgwin`) used by [`Compression::compress`]:
/// 22 = 4 MiB sliding window. Decoders accept the standard RFC 7932 range (up to 24 = 16 MiB)
/// but not the non-standard "large window" extension.
pub const BROTLI_LGWIN: u32 = 22;

/// Zstandard level (1..=22) used by [`Compression::compress`]. Level 9 compresses batch data
/// well at tens of MB/s per core, cheap enough for a small (2-core) batcher.
pub const ZSTD_LEVEL: i32 = 9;

/// Smallest zstd window (as a base-2 logarithm, 23 = 8 MiB) accepted by
/// [`Compression::decompress_bounded`] whatever `max_out`, so that frames produced by
/// standard streaming encoders at levels up to 19 always decode.
const ZSTD_MIN_WINDOW_LOG_MAX: u32 = 23;

/// Largest zstd window accepted (27 = 128 MiB, zstd's own default decoder limit).
const ZSTD_MAX_WINDOW_LOG_MAX: u32 = 27;

/// Size of the scratch buffer decompressors write into, in bytes.
const CHUNK: usize = 64 * 1024;

/// Compression algorithm of a channel, stored in the low nibble of the channel version byte
/// (0 = none, 1 = zlib, 2 = brotli, 3 = zstd; see [`ChannelVersion`](super::ChannelVersion)).
///
/// The OP Stack "Channel Format" section uses zlib (Bedrock) and brotli (Fjord); this rollup
/// additionally allows no compression (useful for debugging) and zstd.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// No compression: the channel payload is the raw RLP.
    None,
    /// zlib (RFC 1950) at the best compression level, as in OP Bedrock channels.
    Zlib,
    /// Brotli (RFC 7932) at [`BROTLI_QUALITY`] / [`BROTLI_LGWIN`], as in OP Fjord channels.
    #[default]
    Brotli,
    /// Zstandard (RFC 8878), one frame at [`ZSTD_LEVEL`].
    Zstd,
}

impl Compression {
    /// All compression algorithms, in channel-version-nibble order.
    pub const ALL: &'static [Self] = &[Self::None, Self::Zlib, Self::Brotli, Self::Zstd];

    /// The lowercase name used by the CLI `--compression` flag and configs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Zlib => "zlib",
            Self::Brotli => "brotli",
            Self::Zstd => "zstd",
        }
    }

    /// The 4-bit code stored in the low nibble of the channel version byte.
    pub const fn nibble(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Zlib => 1,
            Self::Brotli => 2,
            Self::Zstd => 3,
        }
    }

    /// The algorithm for a channel-version low nibble, or `None` if the code is unknown.
    pub const fn from_nibble(nibble: u8) -> Option<Self> {
        match nibble {
            0 => Some(Self::None),
            1 => Some(Self::Zlib),
            2 => Some(Self::Brotli),
            3 => Some(Self::Zstd),
            _ => None,
        }
    }

    /// Compresses `data` (normally the RLP of a channel's batches) into one complete stream.
    ///
    /// # Panics
    ///
    /// Only if the compression library fails on an in-memory buffer, which happens solely on
    /// allocation failure; input bytes can never cause a panic.
    pub fn compress(&self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::None => data.to_vec(),
            Self::Zlib => {
                let mut encoder = flate2::write::ZlibEncoder::new(
                    Vec::with_capacity(data.len() / 2 + 64),
                    flate2::Compression::best(),
                );
                encoder.write_all(data).expect("writing to a Vec cannot fail");
                encoder.finish().expect("writing to a Vec cannot fail")
            }
            Self::Brotli => compress_brotli(data, BROTLI_QUALITY),
            // Single-shot compression records the content size in the frame header and sizes
            // the window to the input, which keeps decoder memory small.
            Self::Zstd => zstd::bulk::compress(data, ZSTD_LEVEL)
                .expect("zstd compression of an in-memory buffer cannot fail"),
        }
    }

    /// Decompresses one complete stream, failing with [`BatchError::ChannelTooLarge`] as soon
    /// as the output would exceed `max_out` bytes.
    ///
    /// Memory use is bounded by `max_out` plus the algorithm's window, whatever the input:
    /// output grows in chunks and never beyond `max_out`; brotli windows are limited to the
    /// RFC 7932 maximum of 16 MiB (no large-window extension); zstd windows to
    /// `max(8 MiB, max_out rounded up to a power of two)`, at most 128 MiB.
    ///
    /// The input must be exactly one complete stream: truncated or corrupt streams fail with
    /// [`BatchError::Decompression`], bytes after the end of the stream with
    /// [`BatchError::TrailingBytes`]. A zlib stream requiring a preset dictionary, a zstd
    /// frame requiring a dictionary, and concatenated zstd frames are rejected.
    pub fn decompress_bounded(&self, data: &[u8], max_out: usize) -> Result<Vec<u8>, BatchError> {
        let mut sink = BoundedSink::new(max_out);
        self.decompress_into(data, &mut sink)?;
        Ok(sink.out)
    }

    fn decompress_into(self, data: &[u8], sink: &mut BoundedSink) -> Result<(), BatchError> {
        match self {
            Self::None => sink.push(data),
            Self::Zlib => inflate_zlib(data, sink),
            Self::Brotli => inflate_brotli(data, sink),
            Self::Zstd => inflate_zstd(data, sink),
        }
    }

    fn error(self, reason: impl Into<String>) -> BatchError {
        BatchError::Decompression { compression: self, reason: reason.into() }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Compression {
    type Err = BatchError;

    /// Parses `none`, `zlib`, `brotli` or `zstd` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| BatchError::UnknownCompression(s.to_owned()))
    }
}

/// Output buffer that refuses to grow past `max` bytes (and never reserves more than `max`).
struct BoundedSink {
    out: Vec<u8>,
    max: usize,
}

impl BoundedSink {
    const fn new(max: usize) -> Self {
        Self { out: Vec::new(), max }
    }

    fn push(&mut self, chunk: &[u8]) -> Result<(), BatchError> {
        if chunk.len() > self.max - self.out.len() {
            return Err(BatchError::ChannelTooLarge { limit: self.max });
        }
        let needed = self.out.len() + chunk.len();
        if needed > self.out.capacity() {
            // Grow geometrically, but never past the limit (a plain `extend` could double a
            // buffer that is just under the limit to twice the limit).
            let target = self.out.capacity().saturating_mul(2).max(needed).min(self.max);
            self.out.reserve_exact(target - self.out.len());
        }
        self.out.extend_from_slice(chunk);
        Ok(())
    }
}

/// Inflates one zlib stream (RFC 1950) with `flate2`'s low-level API, so that truncation and
/// trailing bytes can be detected (the `Read` adapters silently accept both).
fn inflate_zlib(data: &[u8], sink: &mut BoundedSink) -> Result<(), BatchError> {
    const C: Compression = Compression::Zlib;
    let mut inflater = Decompress::new(true);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let in_pos = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
        let input = data.get(in_pos..).unwrap_or_default();
        let out_before = inflater.total_out();
        let status = inflater
            .decompress(input, &mut buf, FlushDecompress::None)
            .map_err(|e| C.error(e.to_string()))?;
        let produced = usize::try_from(inflater.total_out() - out_before).unwrap_or(usize::MAX);
        let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX) - in_pos;
        sink.push(buf.get(..produced).unwrap_or_default())?;
        match status {
            Status::StreamEnd => {
                let end = in_pos + consumed;
                if end < data.len() {
                    return Err(BatchError::TrailingBytes {
                        after: "zlib stream",
                        count: data.len() - end,
                    });
                }
                return Ok(());
            }
            Status::Ok | Status::BufError => {
                if produced == 0 && consumed == 0 {
                    return Err(C.error(if input.is_empty() {
                        "truncated stream"
                    } else {
                        "decoder made no progress"
                    }));
                }
            }
        }
    }
}

/// Inflates one brotli stream (RFC 7932) with the low-level streaming API, in strict mode
/// (no large-window extension, so the window is at most 16 MiB).
fn inflate_brotli(data: &[u8], sink: &mut BoundedSink) -> Result<(), BatchError> {
    const C: Compression = Compression::Brotli;
    let mut state = BrotliState::new_strict(
        StandardAlloc::default(),
        StandardAlloc::default(),
        StandardAlloc::default(),
    );
    let mut buf = vec![0u8; CHUNK];
    let mut available_in = data.len();
    let mut input_offset = 0;
    let mut total_out = 0;
    loop {
        let mut available_out = buf.len();
        let mut output_offset = 0;
        let result = BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            data,
            &mut available_out,
            &mut output_offset,
            &mut buf,
            &mut total_out,
            &mut state,
        );
        sink.push(buf.get(..output_offset).unwrap_or_default())?;
        match result {
            BrotliResult::ResultSuccess => {
                if available_in != 0 {
                    return Err(BatchError::TrailingBytes {
                        after: "brotli stream",
                        count: available_in,
                    });
                }
                return Ok(());
            }
            BrotliResult::NeedsMoreOutput if output_offset > 0 => {}
            BrotliResult::NeedsMoreOutput => return Err(C.error("decoder made no progress")),
            BrotliResult::NeedsMoreInput => return Err(C.error("truncated stream")),
            BrotliResult::ResultFailure => return Err(C.error("corrupt stream")),
        }
    }
}

/// Decodes exactly one zstd frame (RFC 8878) with a window limited according to `max_out`.
fn inflate_zstd(data: &[u8], sink: &mut BoundedSink) -> Result<(), BatchError> {
    const C: Compression = Compression::Zstd;
    let mut decoder = zstd::stream::raw::Decoder::new().map_err(|e| C.error(e.to_string()))?;
    // Smallest window log covering the output limit, within [23, 27].
    let window_log = (usize::BITS - sink.max.saturating_sub(1).leading_zeros())
        .clamp(ZSTD_MIN_WINDOW_LOG_MAX, ZSTD_MAX_WINDOW_LOG_MAX);
    decoder
        .set_parameter(DParameter::WindowLogMax(window_log))
        .map_err(|e| C.error(e.to_string()))?;
    let mut buf = vec![0u8; CHUNK];
    let mut pos = 0;
    loop {
        let input = data.get(pos..).unwrap_or_default();
        let status = decoder.run_on_buffers(input, &mut buf).map_err(|e| C.error(e.to_string()))?;
        pos += status.bytes_read;
        sink.push(buf.get(..status.bytes_written).unwrap_or_default())?;
        if status.remaining == 0 {
            // The frame is complete and fully flushed.
            if pos < data.len() {
                return Err(BatchError::TrailingBytes {
                    after: "zstd frame",
                    count: data.len() - pos,
                });
            }
            return Ok(());
        }
        if status.bytes_read == 0 && status.bytes_written == 0 {
            return Err(C.error(if input.is_empty() {
                "truncated stream"
            } else {
                "decoder made no progress"
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::batch::{ChannelVersion, MAX_CHANNEL_DECOMPRESSED_BYTES, decode_channel};

    const MIB: usize = 1024 * 1024;

    /// Compresses `total` zeros chunk by chunk, never holding the uncompressed data.
    fn zero_bomb(compression: Compression, total: usize) -> Vec<u8> {
        let zeros = vec![0u8; MIB];
        let mut out = Vec::new();
        match compression {
            Compression::None => unreachable!("no bomb without compression"),
            Compression::Zlib => {
                let mut w = flate2::write::ZlibEncoder::new(&mut out, flate2::Compression::fast());
                for _ in 0..total / MIB {
                    w.write_all(&zeros).unwrap();
                }
                w.finish().unwrap();
            }
            Compression::Brotli => {
                let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 1, 22);
                for _ in 0..total / MIB {
                    w.write_all(&zeros).unwrap();
                }
                w.flush().unwrap();
                drop(w);
            }
            Compression::Zstd => {
                let mut w = zstd::stream::write::Encoder::new(&mut out, 1).unwrap();
                for _ in 0..total / MIB {
                    w.write_all(&zeros).unwrap();
                }
                w.finish().unwrap();
            }
        }
        out
    }

    #[test]
    fn names_round_trip() {
        for c in Compression::ALL {
            assert_eq!(c.name().parse::<Compression>().unwrap(), *c);
            assert_eq!(c.to_string(), c.name());
            assert_eq!(Compression::from_nibble(c.nibble()), Some(*c));
        }
        assert_eq!("BROTLI".parse::<Compression>().unwrap(), Compression::Brotli);
        assert!(matches!("lz4".parse::<Compression>(), Err(BatchError::UnknownCompression(_))));
        assert_eq!(Compression::default(), Compression::Brotli);
        assert_eq!(Compression::from_nibble(4), None);
    }

    #[test]
    fn round_trip_each_algorithm() {
        let data: Vec<u8> = (0..100_000u32).flat_map(|i| (i % 251).to_be_bytes()).collect();
        for c in Compression::ALL {
            let compressed = c.compress(&data);
            assert_eq!(c.decompress_bounded(&compressed, data.len()).unwrap(), data, "{c}");
            assert_eq!(
                c.decompress_bounded(&compressed, data.len() - 1),
                Err(BatchError::ChannelTooLarge { limit: data.len() - 1 }),
                "{c}"
            );
            // Empty input round-trips too.
            assert_eq!(c.decompress_bounded(&c.compress(&[]), 0).unwrap(), Vec::<u8>::new());
        }
    }

    #[test]
    fn bombs_fail_fast_with_bounded_output() {
        const BOMB: usize = 100 * MIB;
        const LIMIT: usize = MAX_CHANNEL_DECOMPRESSED_BYTES;
        for c in [Compression::Zlib, Compression::Brotli, Compression::Zstd] {
            let bomb = zero_bomb(c, BOMB);
            assert!(bomb.len() < BOMB / 100, "{c} bomb is {} bytes", bomb.len());

            let start = Instant::now();
            let mut sink = BoundedSink::new(LIMIT);
            let err = c.decompress_into(&bomb, &mut sink).unwrap_err();
            assert_eq!(err, BatchError::ChannelTooLarge { limit: LIMIT }, "{c}");
            // The output buffer never held (or reserved) more than the limit...
            assert!(sink.out.len() <= LIMIT && sink.out.capacity() <= LIMIT, "{c}");
            // ...and decoding stopped after ~LIMIT bytes instead of inflating all 100 MiB.
            assert!(start.elapsed() < Duration::from_secs(10), "{c} took {:?}", start.elapsed());

            // The same bomb as a channel is rejected by the channel decoder.
            let mut channel = vec![ChannelVersion::singular(c).to_byte()];
            channel.extend_from_slice(&bomb);
            assert_eq!(decode_channel(&channel), Err(err), "{c}");
        }
    }

    #[test]
    fn bounded_sink_never_reserves_past_limit() {
        let mut sink = BoundedSink::new(1000);
        for _ in 0..9 {
            sink.push(&[1; 100]).unwrap();
        }
        sink.push(&[1; 100]).unwrap();
        assert!(sink.out.capacity() <= 1000);
        assert_eq!(sink.push(&[1]), Err(BatchError::ChannelTooLarge { limit: 1000 }));
    }

    #[test]
    fn rejects_truncated_trailing_and_empty() {
        let data = b"hello hello hello hello hello batch".repeat(50);
        for c in [Compression::Zlib, Compression::Brotli, Compression::Zstd] {
            let compressed = c.compress(&data);
            for len in 0..compressed.len() {
                assert!(c.decompress_bounded(&compressed[..len], 1 << 20).is_err(), "{c} {len}");
            }
            let mut trailing = compressed.clone();
            trailing.push(0);
            assert!(c.decompress_bounded(&trailing, 1 << 20).is_err(), "{c} trailing");
            // Two concatenated streams are not one stream.
            let mut twice = compressed.clone();
            twice.extend_from_slice(&compressed);
            assert!(c.decompress_bounded(&twice, 1 << 20).is_err(), "{c} concatenated");
        }
    }

    #[test]
    fn zstd_window_too_large_is_rejected() {
        // A streaming encoder with a 2^27 window and unknown content size declares a window
        // larger than the decoder allows for small outputs.
        let mut out = Vec::new();
        let mut w = zstd::stream::write::Encoder::new(&mut out, 1).unwrap();
        w.set_parameter(zstd::stream::raw::CParameter::WindowLog(27)).unwrap();
        w.write_all(&[7u8; 4096]).unwrap();
        w.finish().unwrap();
        assert!(Compression::Zstd.decompress_bounded(&out, 1000).is_err());
        assert_eq!(Compression::Zstd.decompress_bounded(&out, 200 * MIB).unwrap(), vec![7u8; 4096]);
    }
}
