//! Batch data in EIP-4844 blobs. A channel posted with blobs is split into
//! frames of at most [`MAX_BLOB_FRAME_DATA`] bytes, one frame per blob
//! (DESIGN §3 "Batches"); each blob carries the batch data of that frame
//! (`DERIVATION_VERSION_0 || frame`).
//!
//! Blob layout: 4,096 field elements of 32 bytes; the first byte of every
//! field element is zero (so each is canonical, below the BLS12-381 modulus)
//! and the other 31 carry data. The data is `u32 big-endian length ||
//! payload`, zero-padded: 126,972 payload bytes per blob.

use super::{
    BatchError, ChannelId, DERIVATION_VERSION_0, FRAME_OVERHEAD, decode_batch_data,
    encode_batch_data, split_channel,
};
use alloy_primitives::Bytes;

/// Bytes of a blob.
pub const BLOB_SIZE: usize = 131_072;
/// Data bytes per field element.
const USABLE_PER_ELEMENT: usize = 31;
/// Payload bytes one blob can carry.
pub const BLOB_PAYLOAD_CAPACITY: usize = 4_096 * USABLE_PER_ELEMENT - 4;
/// Most frame data per blob: the payload minus the version byte and the
/// frame header.
pub const MAX_BLOB_FRAME_DATA: usize = BLOB_PAYLOAD_CAPACITY - 1 - FRAME_OVERHEAD;

/// Packs `payload` (at most [`BLOB_PAYLOAD_CAPACITY`] bytes) into a blob.
pub fn encode_blob(payload: &[u8]) -> Result<Vec<u8>, BatchError> {
    if payload.len() > BLOB_PAYLOAD_CAPACITY {
        return Err(BatchError::Span(format!(
            "blob payload of {} bytes over the {BLOB_PAYLOAD_CAPACITY}-byte capacity",
            payload.len()
        )));
    }
    let mut data = Vec::with_capacity(payload.len() + 4);
    data.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    data.extend_from_slice(payload);
    let mut blob = vec![0u8; BLOB_SIZE];
    for (i, chunk) in data.chunks(USABLE_PER_ELEMENT).enumerate() {
        blob[i * 32 + 1..i * 32 + 1 + chunk.len()].copy_from_slice(chunk);
    }
    Ok(blob)
}

/// Unpacks a blob's payload; errors on a wrong size, a non-zero first byte
/// of a field element, or a length beyond the capacity.
pub fn decode_blob(blob: &[u8]) -> Result<Vec<u8>, BatchError> {
    if blob.len() != BLOB_SIZE {
        return Err(BatchError::Span(format!("a blob is {BLOB_SIZE} bytes, got {}", blob.len())));
    }
    let mut data = Vec::with_capacity(4_096 * USABLE_PER_ELEMENT);
    for element in blob.chunks(32) {
        if element[0] != 0 {
            return Err(BatchError::Span("non-canonical blob field element".into()));
        }
        data.extend_from_slice(&element[1..]);
    }
    let len = u32::from_be_bytes(data[..4].try_into().expect("4 bytes")) as usize;
    if len > BLOB_PAYLOAD_CAPACITY {
        return Err(BatchError::Span(format!("blob payload length {len} over capacity")));
    }
    Ok(data[4..4 + len].to_vec())
}

/// The blobs carrying `channel`: one frame per blob.
pub fn channel_to_blobs(id: ChannelId, channel: &[u8]) -> Vec<Vec<u8>> {
    split_channel(id, channel, MAX_BLOB_FRAME_DATA)
        .iter()
        .map(|frame| {
            encode_blob(&encode_batch_data(std::slice::from_ref(frame)))
                .expect("a frame of MAX_BLOB_FRAME_DATA fits a blob")
        })
        .collect()
}

/// The batch data of a blob batch, as if its frames had been posted in
/// calldata: `DERIVATION_VERSION_0` followed by every blob's frames, in
/// order. Any malformed blob makes the whole batch invalid.
pub fn batch_data_from_blobs<B: AsRef<[u8]>>(blobs: &[B]) -> Result<Bytes, BatchError> {
    let mut frames = Vec::new();
    for blob in blobs {
        frames.extend(decode_batch_data(&decode_blob(blob.as_ref())?)?);
    }
    if frames.is_empty() {
        return Err(BatchError::NoFrames);
    }
    let data = encode_batch_data(&frames);
    debug_assert_eq!(data.first(), Some(&DERIVATION_VERSION_0));
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{BatchBlock, Compression, decode_channel_from_batch_data, encode_channel};
    use alloy_primitives::{B128, B256};

    #[test]
    fn blobs_round_trip_and_reject_bad_data() {
        assert_eq!(decode_blob(&encode_blob(b"hello").unwrap()).unwrap(), b"hello");
        let full = vec![0xab; BLOB_PAYLOAD_CAPACITY];
        assert_eq!(decode_blob(&encode_blob(&full).unwrap()).unwrap(), full);
        assert!(encode_blob(&vec![0; BLOB_PAYLOAD_CAPACITY + 1]).is_err());
        let mut bad = encode_blob(b"x").unwrap();
        bad[32] = 1;
        assert!(decode_blob(&bad).is_err());
        assert!(decode_blob(&[0; 10]).is_err());
    }

    #[test]
    fn a_channel_in_several_blobs_decodes_to_the_same_blocks() {
        // Incompressible transactions so the channel needs more than one blob.
        let blocks: Vec<BatchBlock> = (1..=3u64)
            .map(|n| BatchBlock {
                number: n,
                timestamp: 10,
                l1_origin_number: 1,
                l1_origin_hash: B256::repeat_byte(1),
                transactions: (0..400u64)
                    .map(|i| {
                        Bytes::from(
                            alloy_primitives::keccak256((n * 1000 + i).to_be_bytes()).repeat(4),
                        )
                    })
                    .collect(),
            })
            .collect();
        let channel = encode_channel(&blocks, Compression::None);
        let blobs = channel_to_blobs(B128::ZERO, &channel);
        assert!(blobs.len() >= 2, "{} blobs", blobs.len());
        let data = batch_data_from_blobs(&blobs).unwrap();
        assert_eq!(decode_channel_from_batch_data(&data).unwrap(), blocks);
        // One blob missing: the channel does not complete.
        assert!(
            decode_channel_from_batch_data(&batch_data_from_blobs(&blobs[1..]).unwrap()).is_err()
        );
    }
}
