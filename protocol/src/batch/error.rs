//! The single error type of the batch codec.

use super::Compression;

/// Every way encoding or decoding batch data, frames, channels or batches can fail.
///
/// All decoders in [`crate::batch`] return this error instead of panicking on malformed
/// input. In derivation, any of these errors means the offending batch data / frame /
/// channel is dropped, exactly as the OP Stack derivation spec drops invalid data
/// ("Batch Submission Wire Format", "Frame Format", "Channel Format").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The batch data posted in one L1 transaction (calldata or blob) is empty, so it has no
    /// derivation version byte ("Batch Submission Wire Format").
    #[error("empty batch data: missing derivation version byte")]
    EmptyBatchData,

    /// The first byte of the batch data is not a supported derivation version
    /// (only [`DERIVATION_VERSION_0`](super::DERIVATION_VERSION_0) = `0x00` is defined,
    /// "Batch Submission Wire Format").
    #[error("unknown derivation version byte {0:#04x}")]
    UnknownDerivationVersion(u8),

    /// The batch data holds a derivation version byte but no frame; the OP Stack requires at
    /// least one frame per batch data ("Batch Submission Wire Format").
    #[error("batch data contains no frames")]
    NoFrames,

    /// A frame inside batch data failed to parse; per the OP Stack rule the whole batch data
    /// is rejected ("Batch Submission Wire Format").
    #[error("invalid frame #{index} at byte offset {offset} of the batch data: {source}")]
    InvalidFrame {
        /// Zero-based position of the frame within the batch data.
        index: usize,
        /// Byte offset of the frame within the batch data (counting the version byte).
        offset: usize,
        /// Why the frame failed to parse.
        source: Box<Self>,
    },

    /// The input ended before a complete structure could be read.
    #[error("truncated {what}: need {needed} bytes, only {available} available")]
    Truncated {
        /// What was being read (for example `"frame header"`).
        what: &'static str,
        /// Bytes needed to continue, in bytes.
        needed: usize,
        /// Bytes actually available, in bytes.
        available: usize,
    },

    /// A frame declares `frame_data_length` larger than
    /// [`MAX_FRAME_DATA_LEN`](super::MAX_FRAME_DATA_LEN) ("Frame Format": frames with a
    /// too-large data length are invalid). Rejected before any allocation.
    #[error("frame data length {len} bytes exceeds the maximum of {max} bytes")]
    FrameTooLarge {
        /// Declared `frame_data_length`, in bytes.
        len: u64,
        /// Maximum allowed frame data length, in bytes.
        max: usize,
    },

    /// The `is_last` byte of a frame is neither 0 nor 1 ("Frame Format": any other value
    /// makes the frame invalid).
    #[error("invalid frame is_last byte {0:#04x} (must be 0 or 1)")]
    InvalidIsLast(u8),

    /// A channel is empty: it has no channel version byte ("Channel Format").
    #[error("empty channel: missing channel version byte")]
    EmptyChannel,

    /// The channel version byte is not recognised: its compression nibble (low 4 bits) is not
    /// one of 0 (none), 1 (zlib), 2 (brotli), 3 (zstd).
    #[error("unknown channel version byte {0:#04x}")]
    UnknownVersion(u8),

    /// The channel version byte has a known compression but names a batch encoding (high 4
    /// bits) other than 0 (singular) and 1 (span batches). Carries the encoding nibble.
    #[error("unsupported batch encoding {0} in channel version byte")]
    UnknownEncoding(u8),

    /// A channel (compressed, while being reassembled from frames) or its decompressed
    /// payload exceeds the size limit. For decompressed data the limit is
    /// [`MAX_CHANNEL_DECOMPRESSED_BYTES`](super::MAX_CHANNEL_DECOMPRESSED_BYTES) (OP Bedrock
    /// `MAX_RLP_BYTES_PER_CHANNEL`, "Channel Format"); decompression stops as soon as the
    /// output would exceed it.
    #[error("channel exceeds the size limit of {limit} bytes")]
    ChannelTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },

    /// The compressed channel payload is not a valid stream for its compression algorithm
    /// (corrupt, truncated, or using a disallowed feature such as a preset dictionary).
    #[error("invalid {compression} stream: {reason}")]
    Decompression {
        /// The compression algorithm named by the channel version byte.
        compression: Compression,
        /// Human-readable description of the failure.
        reason: String,
    },

    /// Bytes follow a structure that must end its input (the compressed stream of a channel,
    /// or the RLP list of batches or the span batch inside a channel).
    #[error("{count} trailing bytes after the {after}")]
    TrailingBytes {
        /// The structure that should have ended the input.
        after: &'static str,
        /// Number of unexpected trailing bytes.
        count: usize,
    },

    /// The decompressed payload of a singular channel (batch encoding 0) is not a valid RLP
    /// list of batches.
    #[error("invalid RLP in channel: {0}")]
    Rlp(#[from] alloy_rlp::Error),

    /// A compression name given on the command line or in a config is not one of `none`,
    /// `zlib`, `brotli`, `zstd`.
    #[error("unknown compression {0:?} (expected one of: none, zlib, brotli, zstd)")]
    UnknownCompression(String),

    /// A batch encoding name given on the command line or in a config is not one of
    /// `singular`, `span`.
    #[error("unknown batch encoding {0:?} (expected one of: singular, span)")]
    UnknownEncodingName(String),

    /// The decompressed payload of a span-batch channel (batch encoding 1) is malformed: too
    /// many blocks or transactions for its size, a non-minimal or overflowing varint, non-zero
    /// bitfield padding, an unknown or EIP-4844 transaction type, a contract-creating EIP-7702
    /// transaction, an invalid access or authorization list, a value over 256 bits (OP Delta
    /// "Span Batch Format" likewise drops such span batches). Truncated columns are reported
    /// as [`BatchError::Truncated`], bytes after the last column as
    /// [`BatchError::TrailingBytes`].
    #[error("invalid span batch: {0}")]
    Span(String),

    /// The frames of one L1 transaction's batch data did not complete exactly one channel
    /// (in this rollup one L1 transaction carries exactly one whole channel).
    #[error(
        "batch data must complete exactly one channel: {complete_channels} completed, \
         {pending_channels} left incomplete"
    )]
    IncompleteChannel {
        /// Number of channels the frames completed.
        complete_channels: usize,
        /// Number of channels left with missing frames.
        pending_channels: usize,
    },
}
