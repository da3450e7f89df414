//! Batch codec: how L2 blocks are packed into channels and frames and posted to L1.
//!
//! Follows the OP Stack derivation spec, from the outside in:
//! - **Batch data** ("Batch Submission Wire Format"): what one L1 transaction carries (the
//!   calldata `bytes data` of `BatchInbox.appendBatch`, or one blob):
//!   [`DERIVATION_VERSION_0`] followed by one or more frames ([`encode_batch_data`],
//!   [`decode_batch_data`]).
//! - **Frames** ("Frame Format"): numbered chunks of a channel ([`Frame`], [`split_channel`]),
//!   reassembled by a [`ChannelAssembler`].
//! - **Channels** ("Channel Format"): a [`ChannelVersion`] byte followed by the compressed
//!   ([`Compression`]) batches, at most [`MAX_CHANNEL_DECOMPRESSED_BYTES`] once decompressed
//!   ([`encode_channel_with`], [`decode_channel`]).
//! - **Batches** ([`BatchEncoding`]): either an RLP list of one [`BatchBlock`] per L2 block
//!   (singular, OP "Batch Format"), or one span batch covering them all with the
//!   transactions in columns ([`encode_span`], OP Delta "Span Batch Format").
//!
//! Batcher side: `encode_channel_with` → `split_channel` → `encode_batch_data` per L1
//! transaction.
//! Derivation side: [`decode_channel_from_batch_data`] for the one-transaction-one-channel case
//! of this rollup, or `decode_batch_data` → `ChannelAssembler` → `decode_channel` in general.
//! Span batches store typed transactions without their chain id: the one-argument decoders
//! assume [`L2_CHAIN_ID`](crate::L2_CHAIN_ID) (901), the `_with_chain_id` variants take it.
//!
//! Every decoder returns [`BatchError`] on malformed input; none panics, and memory use is
//! bounded by the limits above whatever the input.

mod assembler;
mod blob;
mod block;
mod channel;
mod compression;
mod error;
mod frame;
mod span;

pub use assembler::{
    ChannelAssembler, MAX_PENDING_CHANNELS, decode_channel_from_batch_data,
    decode_channel_from_batch_data_with_chain_id,
};
pub use blob::{
    BLOB_PAYLOAD_CAPACITY, BLOB_SIZE, MAX_BLOB_FRAME_DATA, batch_data_from_blobs, channel_to_blobs,
    decode_blob, encode_blob,
};
pub use block::BatchBlock;
pub use channel::{
    BatchEncoding, ChannelVersion, MAX_CHANNEL_DECOMPRESSED_BYTES, decode_channel,
    decode_channel_with_chain_id, encode_channel, encode_channel_with,
    encode_channel_with_chain_id,
};
pub use compression::{BROTLI_LGWIN, BROTLI_QUALITY, Compression, ZSTD_LEVEL, compress_brotli};
pub use error::BatchError;
pub use frame::{
    ChannelId, DERIVATION_VERSION_0, FRAME_OVERHEAD, Frame, MAX_FRAME_DATA_LEN,
    MAX_FRAMES_PER_CHANNEL, decode_batch_data, encode_batch_data, split_channel,
};
pub use span::{MAX_SPAN_BLOCKS, decode_span, encode_span};

#[cfg(test)]
mod tests;
