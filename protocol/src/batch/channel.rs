//! Channel encoding: `channel_version_byte ++ compress(rlp([batch, ...]))`.
//!
//! After the OP Stack derivation spec, "Channel Format": a channel is a compressed stream of
//! RLP-encoded batches, the decompressed size is capped at `MAX_RLP_BYTES_PER_CHANNEL`, and
//! the channel is split into frames for posting on L1 (see [`split_channel`](super::split_channel)).
//! Where OP distinguishes the compression by the first byte of the compressed stream, this
//! rollup prefixes an explicit [`ChannelVersion`] byte.

use alloy_primitives::Bytes;
use alloy_rlp::Decodable;

use super::{BatchBlock, BatchError, Compression};

/// Maximum decompressed size of a channel (the RLP of its batch list), in bytes.
///
/// OP Bedrock `MAX_RLP_BYTES_PER_CHANNEL` ("Channel Format"). Decoding a channel whose
/// payload inflates beyond this fails with [`BatchError::ChannelTooLarge`]; the batcher must
/// therefore close channels before their RLP reaches this size. It is also the default
/// bound on a channel's compressed size while reassembling frames
/// ([`ChannelAssembler`](super::ChannelAssembler)).
pub const MAX_CHANNEL_DECOMPRESSED_BYTES: usize = 10_000_000;

/// How the batches inside a channel are encoded: high nibble of the channel version byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum BatchEncoding {
    /// Code 0: an RLP list of [`BatchBlock`]s, one per L2 block (OP "singular batches").
    #[default]
    Singular,
}

impl BatchEncoding {
    /// Code reserved for span batches (OP Delta "Span Batch Format"); recognised in version
    /// bytes but rejected with [`BatchError::UnknownEncoding`] until implemented.
    pub const SPAN_CODE: u8 = 1;

    /// The 4-bit code stored in the high nibble of the channel version byte.
    pub const fn nibble(self) -> u8 {
        match self {
            Self::Singular => 0,
        }
    }
}

/// The channel version byte, the first byte of every channel.
///
/// Layout: high nibble = [`BatchEncoding`] (0 = singular; 1 = span batches, reserved),
/// low nibble = [`Compression`] (0 none, 1 zlib, 2 brotli, 3 zstd). So a brotli channel of
/// singular batches starts with `0x02`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChannelVersion {
    /// How the batches are encoded.
    pub encoding: BatchEncoding,
    /// How the encoded batches are compressed.
    pub compression: Compression,
}

impl ChannelVersion {
    /// Version for singular batches compressed with `compression`.
    pub const fn singular(compression: Compression) -> Self {
        Self { encoding: BatchEncoding::Singular, compression }
    }

    /// The version byte: `encoding << 4 | compression`.
    pub const fn to_byte(self) -> u8 {
        (self.encoding.nibble() << 4) | self.compression.nibble()
    }

    /// Parses a version byte.
    ///
    /// # Errors
    ///
    /// [`BatchError::UnknownVersion`] if either nibble is unknown;
    /// [`BatchError::UnknownEncoding`] for the reserved span-batch encoding (1) with a known
    /// compression.
    pub const fn from_byte(byte: u8) -> Result<Self, BatchError> {
        let Some(compression) = Compression::from_nibble(byte & 0x0f) else {
            return Err(BatchError::UnknownVersion(byte));
        };
        match byte >> 4 {
            0 => Ok(Self::singular(compression)),
            BatchEncoding::SPAN_CODE => Err(BatchError::UnknownEncoding(BatchEncoding::SPAN_CODE)),
            _ => Err(BatchError::UnknownVersion(byte)),
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

/// Encodes blocks into a channel: `version_byte || compress(rlp([block, ...]))`.
///
/// The caller (batcher) must keep the RLP of `blocks` within
/// [`MAX_CHANNEL_DECOMPRESSED_BYTES`], and the returned channel within the assembler's
/// channel limit (the same number by default), or derivation will drop the channel.
pub fn encode_channel(blocks: &[BatchBlock], compression: Compression) -> Bytes {
    let mut rlp = Vec::new();
    alloy_rlp::encode_list(blocks, &mut rlp);
    let compressed = compression.compress(&rlp);
    let mut out = Vec::with_capacity(1 + compressed.len());
    out.push(ChannelVersion::singular(compression).to_byte());
    out.extend_from_slice(&compressed);
    out.into()
}

/// Decodes a channel produced by [`encode_channel`] back into its blocks.
///
/// Decompression is bounded by [`MAX_CHANNEL_DECOMPRESSED_BYTES`] (memory use stays around
/// that bound for any input), the payload must be exactly one canonical RLP list of
/// [`BatchBlock`]s, and nothing may follow it.
///
/// # Errors
///
/// [`BatchError::EmptyChannel`], [`BatchError::UnknownVersion`],
/// [`BatchError::UnknownEncoding`], [`BatchError::ChannelTooLarge`],
/// [`BatchError::Decompression`], [`BatchError::TrailingBytes`] or [`BatchError::Rlp`].
pub fn decode_channel(data: &[u8]) -> Result<Vec<BatchBlock>, BatchError> {
    let (&version, payload) = data.split_first().ok_or(BatchError::EmptyChannel)?;
    let version = ChannelVersion::from_byte(version)?;
    let rlp = version.compression.decompress_bounded(payload, MAX_CHANNEL_DECOMPRESSED_BYTES)?;
    let mut buf = rlp.as_slice();
    let blocks = Vec::<BatchBlock>::decode(&mut buf)?;
    if !buf.is_empty() {
        return Err(BatchError::TrailingBytes { after: "RLP batch list", count: buf.len() });
    }
    Ok(blocks)
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
            assert_eq!(
                ChannelVersion::from_byte(0x10 | c.nibble()),
                Err(BatchError::UnknownEncoding(1))
            );
        }
        assert_eq!(ChannelVersion::default().to_byte(), 0x02);
        for byte in [0x04, 0x0f, 0x14, 0x20, 0x22, 0xf2, 0xff] {
            assert_eq!(ChannelVersion::try_from(byte), Err(BatchError::UnknownVersion(byte)));
        }
    }

    #[test]
    fn round_trip_and_errors() {
        let input = blocks(12);
        for c in Compression::ALL {
            let channel = encode_channel(&input, *c);
            assert_eq!(channel[0], c.nibble());
            assert_eq!(decode_channel(&channel).unwrap(), input);
            let empty = encode_channel(&[], *c);
            assert_eq!(decode_channel(&empty).unwrap(), vec![]);
        }
        assert_eq!(decode_channel(&[]), Err(BatchError::EmptyChannel));
        let mut unknown = encode_channel(&input, Compression::None).to_vec();
        unknown[0] = 0x07;
        assert_eq!(decode_channel(&unknown), Err(BatchError::UnknownVersion(0x07)));
        unknown[0] = 0x12;
        assert_eq!(decode_channel(&unknown), Err(BatchError::UnknownEncoding(1)));
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
            let channel = encode_channel(&big, *c);
            assert_eq!(
                decode_channel(&channel),
                Err(BatchError::ChannelTooLarge { limit: MAX_CHANNEL_DECOMPRESSED_BYTES }),
                "{c}"
            );
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
