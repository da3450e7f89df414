//! Channel encoding: `channel_version_byte ++ compress(batches)`.
//!
//! After the OP Stack derivation spec, "Channel Format": a channel is a compressed stream of
//! batches, the decompressed size is capped at `MAX_RLP_BYTES_PER_CHANNEL`, and the channel
//! is split into frames for posting on L1 (see [`split_channel`](super::split_channel)).
//! Where OP distinguishes the compression by the first byte of the compressed stream and the
//! batch type by a byte in front of each batch, this rollup prefixes one explicit
//! [`ChannelVersion`] byte naming both. The batches are either an RLP list of singular
//! batches ([`BatchEncoding::Singular`]) or one span batch ([`BatchEncoding::Span`], OP
//! Delta "Span Batch Format", see [`encode_span`]).

use std::{fmt, str::FromStr};

use alloy_primitives::Bytes;
use alloy_rlp::Decodable;
use serde::{Deserialize, Serialize};

use super::{BatchBlock, BatchError, Compression, decode_span, encode_span};
use crate::L2_CHAIN_ID;

/// Maximum decompressed size of a channel (the RLP of its batch list, or its span batch),
/// in bytes.
///
/// OP Bedrock `MAX_RLP_BYTES_PER_CHANNEL` ("Channel Format"). Decoding a channel whose
/// payload inflates beyond this fails with [`BatchError::ChannelTooLarge`]; the batcher must
/// therefore close channels before their encoded batches reach this size. It is also the
/// default bound on a channel's compressed size while reassembling frames
/// ([`ChannelAssembler`](super::ChannelAssembler)).
pub const MAX_CHANNEL_DECOMPRESSED_BYTES: usize = 10_000_000;

/// How the batches inside a channel are encoded: high nibble of the channel version byte.
///
/// Both encodings carry exactly the same `Vec<BatchBlock>`; span batches are about a quarter
/// smaller for plain transfers once compressed. Parsed from and displayed as `singular` /
/// `span` (for CLI flags and configs).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BatchEncoding {
    /// Code 0: an RLP list of [`BatchBlock`]s, one per L2 block (OP "singular batches",
    /// "Batch Format").
    #[default]
    Singular,
    /// Code 1: one span batch covering all the blocks, transactions stored in columns (OP
    /// Delta "Span Batch Format"; layout in [`encode_span`]). Its typed transactions are
    /// stored without their chain id, so encoder and decoder must agree on the L2 chain id.
    Span,
}

impl BatchEncoding {
    /// All batch encodings, in channel-version-nibble order.
    pub const ALL: &'static [Self] = &[Self::Singular, Self::Span];

    /// The code of span batches (OP Delta "Span Batch Format") in the high nibble of the
    /// channel version byte: `BatchEncoding::Span.nibble()`.
    pub const SPAN_CODE: u8 = 1;

    /// The 4-bit code stored in the high nibble of the channel version byte.
    pub const fn nibble(self) -> u8 {
        match self {
            Self::Singular => 0,
            Self::Span => Self::SPAN_CODE,
        }
    }

    /// The encoding for a channel-version high nibble, or `None` if the code is unknown.
    pub const fn from_nibble(nibble: u8) -> Option<Self> {
        match nibble {
            0 => Some(Self::Singular),
            Self::SPAN_CODE => Some(Self::Span),
            _ => None,
        }
    }

    /// The lowercase name used by CLI flags and configs: `singular` or `span`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Singular => "singular",
            Self::Span => "span",
        }
    }
}

impl fmt::Display for BatchEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BatchEncoding {
    type Err = BatchError;

    /// Parses `singular` or `span` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|e| e.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| BatchError::UnknownEncodingName(s.to_owned()))
    }
}

/// The channel version byte, the first byte of every channel.
///
/// Layout: high nibble = [`BatchEncoding`] (0 = singular, 1 = span batches),
/// low nibble = [`Compression`] (0 none, 1 zlib, 2 brotli, 3 zstd). So a brotli channel of
/// singular batches starts with `0x02`, a brotli span-batch channel with `0x12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChannelVersion {
    /// How the batches are encoded.
    pub encoding: BatchEncoding,
    /// How the encoded batches are compressed.
    pub compression: Compression,
}

impl ChannelVersion {
    /// Version for batches encoded with `encoding` and compressed with `compression`.
    pub const fn new(encoding: BatchEncoding, compression: Compression) -> Self {
        Self { encoding, compression }
    }

    /// Version for singular batches compressed with `compression`.
    pub const fn singular(compression: Compression) -> Self {
        Self::new(BatchEncoding::Singular, compression)
    }

    /// Version for a span batch compressed with `compression`.
    pub const fn span(compression: Compression) -> Self {
        Self::new(BatchEncoding::Span, compression)
    }

    /// The version byte: `encoding << 4 | compression`.
    pub const fn to_byte(self) -> u8 {
        (self.encoding.nibble() << 4) | self.compression.nibble()
    }

    /// Parses a version byte.
    ///
    /// # Errors
    ///
    /// [`BatchError::UnknownVersion`] if the compression nibble is unknown;
    /// [`BatchError::UnknownEncoding`] if the compression is known but the encoding nibble
    /// is neither 0 (singular) nor 1 (span).
    pub const fn from_byte(byte: u8) -> Result<Self, BatchError> {
        let Some(compression) = Compression::from_nibble(byte & 0x0f) else {
            return Err(BatchError::UnknownVersion(byte));
        };
        match BatchEncoding::from_nibble(byte >> 4) {
            Some(encoding) => Ok(Self::new(encoding, compression)),
            None => Err(BatchError::UnknownEncoding(byte >> 4)),
        }
    }
}

impl From<ChannelVersion> for u8 {
    fn from(version: ChannelVersion) -> Self {
        version.to_byte()
    }
}

impl TryFrom<u8> for ChannelVersion {
    type Error = BatchError;

    fn try_from(byte: u8) -> Result<Self, Self::Error> {
        Self::from_byte(byte)
    }
}

/// Encodes blocks into a singular channel: `version_byte || compress(rlp([block, ...]))`.
///
/// Same as [`encode_channel_with`] with [`BatchEncoding::Singular`]. The caller (batcher)
/// must keep the RLP of `blocks` within [`MAX_CHANNEL_DECOMPRESSED_BYTES`], and the returned
/// channel within the assembler's channel limit (the same number by default), or derivation
/// will drop the channel.
pub fn encode_channel(blocks: &[BatchBlock], compression: Compression) -> Bytes {
    encode_channel_with(blocks, compression, BatchEncoding::Singular)
}

/// Encodes blocks into a channel with the given batch encoding:
/// `version_byte || compress(batches)`, for the default L2 chain id
/// [`L2_CHAIN_ID`] (901; see [`encode_channel_with_chain_id`]).
pub fn encode_channel_with(
    blocks: &[BatchBlock],
    compression: Compression,
    encoding: BatchEncoding,
) -> Bytes {
    encode_channel_with_chain_id(blocks, compression, encoding, L2_CHAIN_ID)
}

/// Encodes blocks into a channel: `version_byte || compress(batches)` where `batches` is the
/// RLP list of `blocks` ([`BatchEncoding::Singular`]) or their span batch
/// ([`BatchEncoding::Span`], [`encode_span`] with `chain_id`, the L2 chain id; singular
/// channels ignore it).
///
/// The caller (batcher) must keep the encoded batches within
/// [`MAX_CHANNEL_DECOMPRESSED_BYTES`] (and a span batch within
/// [`MAX_SPAN_BLOCKS`](super::MAX_SPAN_BLOCKS) blocks), and the returned channel within the
/// assembler's channel limit (the same number by default), or derivation will drop the
/// channel.
pub fn encode_channel_with_chain_id(
    blocks: &[BatchBlock],
    compression: Compression,
    encoding: BatchEncoding,
    chain_id: u64,
) -> Bytes {
    let payload = match encoding {
        BatchEncoding::Singular => {
            let mut rlp = Vec::new();
            alloy_rlp::encode_list(blocks, &mut rlp);
            rlp
        }
        BatchEncoding::Span => encode_span(blocks, chain_id),
    };
    let compressed = compression.compress(&payload);
    let mut out = Vec::with_capacity(1 + compressed.len());
    out.push(ChannelVersion::new(encoding, compression).to_byte());
    out.extend_from_slice(&compressed);
    out.into()
}

/// Decodes a channel produced by [`encode_channel`] or [`encode_channel_with`] back into
/// its blocks, assuming the default L2 chain id [`L2_CHAIN_ID`] (901) for span batches.
///
/// Same as [`decode_channel_with_chain_id`] with [`L2_CHAIN_ID`].
///
/// # Errors
///
/// As [`decode_channel_with_chain_id`].
pub fn decode_channel(data: &[u8]) -> Result<Vec<BatchBlock>, BatchError> {
    decode_channel_with_chain_id(data, L2_CHAIN_ID)
}

/// Decodes a channel back into its blocks, dispatching on the encoding nibble of the version
/// byte; `chain_id` is the L2 chain id the span batch was encoded with (unused for singular
/// channels).
///
/// Decompression is bounded by [`MAX_CHANNEL_DECOMPRESSED_BYTES`] (memory use stays around
/// that bound for any input). A singular payload must be exactly one canonical RLP list of
/// [`BatchBlock`]s, a span payload exactly one span batch ([`decode_span`]); nothing may
/// follow either.
///
/// # Errors
///
/// [`BatchError::EmptyChannel`], [`BatchError::UnknownVersion`],
/// [`BatchError::UnknownEncoding`], [`BatchError::ChannelTooLarge`],
/// [`BatchError::Decompression`], [`BatchError::TrailingBytes`], [`BatchError::Rlp`]
/// (singular), or [`BatchError::Truncated`] / [`BatchError::Span`] (span).
pub fn decode_channel_with_chain_id(
    data: &[u8],
    chain_id: u64,
) -> Result<Vec<BatchBlock>, BatchError> {
    let (&version, payload) = data.split_first().ok_or(BatchError::EmptyChannel)?;
    let version = ChannelVersion::from_byte(version)?;
    let payload =
        version.compression.decompress_bounded(payload, MAX_CHANNEL_DECOMPRESSED_BYTES)?;
    match version.encoding {
        BatchEncoding::Singular => {
            let mut buf = payload.as_slice();
            let blocks = Vec::<BatchBlock>::decode(&mut buf)?;
            if !buf.is_empty() {
                return Err(BatchError::TrailingBytes {
                    after: "RLP batch list",
                    count: buf.len(),
                });
            }
            Ok(blocks)
        }
        BatchEncoding::Span => decode_span(&payload, chain_id),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;

    fn blocks(n: u64) -> Vec<BatchBlock> {
        (0..n)
            .map(|i| BatchBlock {
                number: 100 + i,
                timestamp: 1_700_000_000 + 2 * i,
                l1_origin_number: 50 + i / 6,
                l1_origin_hash: B256::repeat_byte((i / 6) as u8),
                transactions: (0..5)
                    .map(|t| {
                        // A realistic-looking EIP-1559 transfer: mostly fixed fields.
                        let mut tx = vec![0x02, 0xf8, 0x72, 0x82, 0x01, 0x2c];
                        tx.extend_from_slice(&(i * 5 + t).to_be_bytes());
                        tx.extend_from_slice(&[0x84, 0x3b, 0x9a, 0xca, 0x00, 0x82, 0x52, 0x08]);
                        tx.extend_from_slice(&[0x94; 21]);
                        tx.extend_from_slice(&[0x88, 0x0d, 0xe0, 0xb6, 0xb3, 0xa7, 0x64, 0, 0]);
                        tx.extend((0..65u8).map(|b| b.wrapping_mul(31).wrapping_add(t as u8)));
                        tx.into()
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn version_byte_layout() {
        for c in Compression::ALL {
            let v = ChannelVersion::singular(*c);
            assert_eq!(v.to_byte(), c.nibble());
            assert_eq!(ChannelVersion::from_byte(v.to_byte()), Ok(v));
            assert_eq!(u8::from(v), v.to_byte());
            let span = ChannelVersion::span(*c);
            assert_eq!(span.to_byte(), 0x10 | c.nibble());
            assert_eq!(ChannelVersion::from_byte(span.to_byte()), Ok(span));
            assert_eq!(ChannelVersion::new(BatchEncoding::Span, *c), span);
            assert_eq!(
                ChannelVersion::from_byte(0x20 | c.nibble()),
                Err(BatchError::UnknownEncoding(2))
            );
            assert_eq!(
                ChannelVersion::from_byte(0xf0 | c.nibble()),
                Err(BatchError::UnknownEncoding(15))
            );
        }
        assert_eq!(ChannelVersion::default().to_byte(), 0x02);
        for byte in [0x04, 0x0f, 0x14, 0x24, 0xff] {
            assert_eq!(ChannelVersion::try_from(byte), Err(BatchError::UnknownVersion(byte)));
        }
    }

    #[test]
    fn encoding_names_and_nibbles() {
        for e in BatchEncoding::ALL {
            assert_eq!(e.name().parse::<BatchEncoding>().unwrap(), *e);
            assert_eq!(e.to_string(), e.name());
            assert_eq!(BatchEncoding::from_nibble(e.nibble()), Some(*e));
        }
        assert_eq!("SPAN".parse::<BatchEncoding>().unwrap(), BatchEncoding::Span);
        assert_eq!(
            "spans".parse::<BatchEncoding>(),
            Err(BatchError::UnknownEncodingName("spans".into()))
        );
        assert_eq!(BatchEncoding::default(), BatchEncoding::Singular);
        assert_eq!(BatchEncoding::Span.nibble(), BatchEncoding::SPAN_CODE);
        assert_eq!(BatchEncoding::from_nibble(2), None);
    }

    #[test]
    fn round_trip_and_errors() {
        let input = blocks(12);
        for c in Compression::ALL {
            let channel = encode_channel(&input, *c);
            assert_eq!(channel[0], c.nibble());
            assert_eq!(decode_channel(&channel).unwrap(), input);
            assert_eq!(channel, encode_channel_with(&input, *c, BatchEncoding::Singular));
            let empty = encode_channel(&[], *c);
            assert_eq!(decode_channel(&empty).unwrap(), vec![]);
            for chain_id in [L2_CHAIN_ID, 1] {
                let span = encode_channel_with_chain_id(&input, *c, BatchEncoding::Span, chain_id);
                assert_eq!(span[0], 0x10 | c.nibble());
                assert_eq!(decode_channel_with_chain_id(&span, chain_id).unwrap(), input);
            }
            let span = encode_channel_with(&[], *c, BatchEncoding::Span);
            assert_eq!(decode_channel(&span).unwrap(), vec![]);
        }
        assert_eq!(decode_channel(&[]), Err(BatchError::EmptyChannel));
        let mut unknown = encode_channel(&input, Compression::None).to_vec();
        unknown[0] = 0x07;
        assert_eq!(decode_channel(&unknown), Err(BatchError::UnknownVersion(0x07)));
        unknown[0] = 0x22;
        assert_eq!(decode_channel(&unknown), Err(BatchError::UnknownEncoding(2)));
        // A singular payload is not a span batch, nor the other way round.
        unknown[0] = 0x10;
        assert!(decode_channel(&unknown).is_err());
        let mut span = encode_channel_with(&input, Compression::None, BatchEncoding::Span).to_vec();
        span[0] = 0x00;
        assert!(matches!(decode_channel(&span), Err(BatchError::Rlp(_))));
        span[0] = 0x10;
        span.push(0);
        assert_eq!(
            decode_channel(&span),
            Err(BatchError::TrailingBytes { after: "span batch", count: 1 })
        );
        // A byte after the RLP list.
        let mut trailing = encode_channel(&input, Compression::None).to_vec();
        trailing.push(0xc0);
        assert_eq!(
            decode_channel(&trailing),
            Err(BatchError::TrailingBytes { after: "RLP batch list", count: 1 })
        );
        // Not a list at all.
        assert!(matches!(decode_channel(&[0x00, 0x80]), Err(BatchError::Rlp(_))));
        assert!(matches!(decode_channel(&[0x00]), Err(BatchError::Rlp(_))));
    }

    #[test]
    fn decompressed_size_is_capped() {
        // 10 MB + 1 of RLP: a single block whose one transaction is ~10 MB.
        let big = vec![BatchBlock {
            number: 0,
            timestamp: 0,
            l1_origin_number: 0,
            l1_origin_hash: B256::ZERO,
            transactions: vec![vec![0u8; MAX_CHANNEL_DECOMPRESSED_BYTES].into()],
        }];
        for c in Compression::ALL {
            for e in BatchEncoding::ALL {
                let channel = encode_channel_with(&big, *c, *e);
                assert_eq!(
                    decode_channel(&channel),
                    Err(BatchError::ChannelTooLarge { limit: MAX_CHANNEL_DECOMPRESSED_BYTES }),
                    "{c} {e}"
                );
            }
        }
    }

    #[test]
    fn brotli_beats_no_compression_on_realistic_blocks() {
        let input = blocks(60);
        let none = encode_channel(&input, Compression::None);
        let brotli = encode_channel(&input, Compression::Brotli);
        let zlib = encode_channel(&input, Compression::Zlib);
        let zstd = encode_channel(&input, Compression::Zstd);
        assert!(brotli.len() * 2 < none.len(), "brotli {} vs none {}", brotli.len(), none.len());
        assert!(zlib.len() < none.len());
        assert!(zstd.len() < none.len());
    }
}
