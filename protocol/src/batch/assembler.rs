//! Reassembling channels from frames.
//!
//! A simplified version of the OP Stack channel bank ("Channel Format" / "Frame Format";
//! op-node `ChannelBank` and `Channel.AddFrame`). It is simpler because in this rollup one L1
//! transaction carries one whole channel, so there are no channel timeouts and no
//! cross-transaction ordering concerns; [`decode_channel_from_batch_data`] covers that common
//! case end to end.

use std::collections::BTreeMap;

use alloy_primitives::Bytes;

use super::{
    BatchBlock, BatchError, ChannelId, Frame, MAX_CHANNEL_DECOMPRESSED_BYTES, decode_batch_data,
    decode_channel_with_chain_id,
};
use crate::L2_CHAIN_ID;

/// Maximum number of incomplete channels a [`ChannelAssembler`] buffers at once. When a frame
/// opens one more, the oldest incomplete channel is evicted (as the OP channel bank prunes its
/// oldest channel when full). Together with the per-channel limit this bounds the memory of an
/// assembler to about `MAX_PENDING_CHANNELS * max_channel_bytes`.
pub const MAX_PENDING_CHANNELS: usize = 8;

/// Collects frames and returns each channel's bytes once all its frames have arrived.
///
/// Rules, after OP's `Channel.AddFrame` (checked in this order for a frame of channel `id`):
/// 1. a frame with `is_last` for a channel that already received its `is_last` frame is
///    ignored (the first closing frame wins);
/// 2. a frame whose number was already received is ignored (the first frame wins);
/// 3. a frame numbered after the channel's `is_last` frame is ignored;
/// 4. an `is_last` frame closes the channel at its number and drops already buffered frames
///    numbered after it;
/// 5. the channel's buffered frame data may total at most `max_channel_bytes` bytes; the frame
///    that would exceed it drops the whole channel ([`BatchError::ChannelTooLarge`]);
/// 6. the channel is complete when frames `0..=last` are all present: the concatenation of
///    their data is returned and the channel is forgotten (a later frame with the same id
///    starts a new channel).
///
/// Frames of different channels may interleave; at most [`MAX_PENDING_CHANNELS`] incomplete
/// channels are kept (oldest evicted first).
#[derive(Debug, Clone)]
pub struct ChannelAssembler {
    max_channel_bytes: usize,
    /// Incomplete channels, oldest first.
    pending: Vec<PendingChannel>,
}

#[derive(Debug, Clone)]
struct PendingChannel {
    id: ChannelId,
    frames: BTreeMap<u16, Bytes>,
    /// Number of the `is_last` frame, once received.
    last: Option<u16>,
    /// Total frame data buffered, in bytes.
    size: usize,
}

impl PendingChannel {
    const fn new(id: ChannelId) -> Self {
        Self { id, frames: BTreeMap::new(), last: None, size: 0 }
    }

    fn is_complete(&self) -> bool {
        self.last.is_some_and(|last| self.frames.len() == usize::from(last) + 1)
    }

    fn assemble(self) -> Bytes {
        let mut out = Vec::with_capacity(self.size);
        for data in self.frames.values() {
            out.extend_from_slice(data);
        }
        out.into()
    }
}

impl Default for ChannelAssembler {
    /// An assembler bounding channels to [`MAX_CHANNEL_DECOMPRESSED_BYTES`].
    fn default() -> Self {
        Self::new(MAX_CHANNEL_DECOMPRESSED_BYTES)
    }
}

impl ChannelAssembler {
    /// An assembler that drops channels whose frame data exceeds `max_channel_bytes` bytes.
    pub const fn new(max_channel_bytes: usize) -> Self {
        Self { max_channel_bytes, pending: Vec::new() }
    }

    /// The per-channel limit on buffered frame data, in bytes.
    pub const fn max_channel_bytes(&self) -> usize {
        self.max_channel_bytes
    }

    /// Number of channels with frames buffered but not yet complete.
    pub const fn pending_channels(&self) -> usize {
        self.pending.len()
    }

    /// Total frame data buffered across all incomplete channels, in bytes.
    pub fn buffered_bytes(&self) -> usize {
        self.pending.iter().map(|c| c.size).sum()
    }

    /// Drops every buffered frame and incomplete channel.
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// Adds a frame following the rules in the type documentation.
    ///
    /// Returns `Ok(Some(channel))` with the channel's bytes when this frame completes it,
    /// `Ok(None)` when the frame was buffered or ignored.
    ///
    /// # Errors
    ///
    /// [`BatchError::ChannelTooLarge`] if the frame pushed its channel over
    /// `max_channel_bytes`; the whole channel has then been dropped.
    pub fn add_frame(&mut self, frame: Frame) -> Result<Option<Bytes>, BatchError> {
        let index = match self.pending.iter().position(|c| c.id == frame.id) {
            Some(index) => index,
            None => {
                if self.pending.len() >= MAX_PENDING_CHANNELS {
                    let evicted = self.pending.remove(0);
                    tracing::debug!(target: "derive::channel", channel = %evicted.id, "evicting oldest incomplete channel");
                }
                self.pending.push(PendingChannel::new(frame.id));
                self.pending.len() - 1
            }
        };
        let channel = &mut self.pending[index];

        if frame.is_last && channel.last.is_some() {
            tracing::debug!(target: "derive::channel", channel = %frame.id, number = frame.number, "ignoring second last frame");
            return Ok(None);
        }
        if channel.frames.contains_key(&frame.number) {
            tracing::debug!(target: "derive::channel", channel = %frame.id, number = frame.number, "ignoring duplicate frame");
            return Ok(None);
        }
        if channel.last.is_some_and(|last| frame.number > last) {
            tracing::debug!(target: "derive::channel", channel = %frame.id, number = frame.number, "ignoring frame after last");
            return Ok(None);
        }
        if frame.is_last {
            channel.last = Some(frame.number);
            if let Some(next) = frame.number.checked_add(1) {
                let pruned = channel.frames.split_off(&next);
                channel.size -= pruned.values().map(|d| d.len()).sum::<usize>();
            }
        }
        if frame.data.len() > self.max_channel_bytes - channel.size {
            let limit = self.max_channel_bytes;
            self.pending.remove(index);
            tracing::debug!(target: "derive::channel", channel = %frame.id, limit, "dropping oversized channel");
            return Err(BatchError::ChannelTooLarge { limit });
        }
        channel.size += frame.data.len();
        channel.frames.insert(frame.number, frame.data);

        if channel.is_complete() {
            return Ok(Some(self.pending.remove(index).assemble()));
        }
        Ok(None)
    }
}

/// Decodes the batch data of one L1 transaction that carries exactly one whole channel:
/// [`decode_batch_data`], then a fresh [`ChannelAssembler`], then
/// [`decode_channel`](super::decode_channel), i.e. span batches are decoded for the default L2
/// chain id [`L2_CHAIN_ID`] (901).
///
/// Same as [`decode_channel_from_batch_data_with_chain_id`] with [`L2_CHAIN_ID`].
///
/// # Errors
///
/// As [`decode_channel_from_batch_data_with_chain_id`].
pub fn decode_channel_from_batch_data(data: &[u8]) -> Result<Vec<BatchBlock>, BatchError> {
    decode_channel_from_batch_data_with_chain_id(data, L2_CHAIN_ID)
}

/// Decodes the batch data of one L1 transaction that carries exactly one whole channel:
/// [`decode_batch_data`], then a fresh [`ChannelAssembler`], then
/// [`decode_channel_with_chain_id`] with `chain_id` (the L2 chain id span batches were
/// encoded with).
///
/// Frames may appear in any order and duplicates arriving before the channel completes are
/// ignored (see [`ChannelAssembler`]), but the frames must complete exactly one channel and
/// leave nothing incomplete: a frame after the channel completed (even a duplicate) opens a
/// new channel, so such data is rejected.
///
/// # Errors
///
/// Any error of [`decode_batch_data`], [`ChannelAssembler::add_frame`] or
/// [`decode_channel_with_chain_id`], and [`BatchError::IncompleteChannel`] if the frames do
/// not complete exactly one channel.
pub fn decode_channel_from_batch_data_with_chain_id(
    data: &[u8],
    chain_id: u64,
) -> Result<Vec<BatchBlock>, BatchError> {
    let frames = decode_batch_data(data)?;
    let mut assembler = ChannelAssembler::default();
    let mut complete: Option<Bytes> = None;
    let mut complete_channels = 0;
    for frame in frames {
        if let Some(channel) = assembler.add_frame(frame)? {
            complete_channels += 1;
            complete.get_or_insert(channel);
        }
    }
    match complete {
        Some(channel) if complete_channels == 1 && assembler.pending_channels() == 0 => {
            decode_channel_with_chain_id(&channel, chain_id)
        }
        _ => Err(BatchError::IncompleteChannel {
            complete_channels,
            pending_channels: assembler.pending_channels(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;
    use crate::batch::{Compression, encode_batch_data, encode_channel, split_channel};

    fn frame(id: u8, number: u16, data: &[u8], is_last: bool) -> Frame {
        Frame {
            id: ChannelId::repeat_byte(id),
            number,
            data: Bytes::copy_from_slice(data),
            is_last,
        }
    }

    #[test]
    fn completes_in_any_order() {
        let mut asm = ChannelAssembler::default();
        assert_eq!(asm.add_frame(frame(1, 2, b"c", true)), Ok(None));
        assert_eq!(asm.add_frame(frame(1, 0, b"a", false)), Ok(None));
        assert_eq!(asm.pending_channels(), 1);
        assert_eq!(asm.buffered_bytes(), 2);
        assert_eq!(asm.add_frame(frame(1, 1, b"b", false)), Ok(Some(Bytes::from_static(b"abc"))));
        assert_eq!(asm.pending_channels(), 0);
        assert_eq!(asm.buffered_bytes(), 0);
    }

    #[test]
    fn duplicate_frame_is_ignored_first_wins() {
        let mut asm = ChannelAssembler::default();
        assert_eq!(asm.add_frame(frame(1, 0, b"first", false)), Ok(None));
        assert_eq!(asm.add_frame(frame(1, 0, b"second", false)), Ok(None));
        assert_eq!(asm.buffered_bytes(), 5);
        assert_eq!(asm.add_frame(frame(1, 1, b"!", true)), Ok(Some(Bytes::from_static(b"first!"))));
    }

    #[test]
    fn second_last_and_frames_after_last_are_ignored() {
        let mut asm = ChannelAssembler::default();
        assert_eq!(asm.add_frame(frame(1, 3, b"x", false)), Ok(None));
        // Closing at 1 prunes the buffered frame 3.
        assert_eq!(asm.add_frame(frame(1, 1, b"b", true)), Ok(None));
        assert_eq!(asm.buffered_bytes(), 1);
        assert_eq!(asm.add_frame(frame(1, 2, b"y", true)), Ok(None));
        assert_eq!(asm.add_frame(frame(1, 2, b"y", false)), Ok(None));
        assert_eq!(asm.add_frame(frame(1, 0, b"a", true)), Ok(None));
        assert_eq!(asm.buffered_bytes(), 1);
        assert_eq!(asm.add_frame(frame(1, 0, b"a", false)), Ok(Some(Bytes::from_static(b"ab"))));
    }

    #[test]
    fn interleaved_channels_and_eviction() {
        let mut asm = ChannelAssembler::default();
        assert_eq!(asm.add_frame(frame(1, 0, b"1a", false)), Ok(None));
        assert_eq!(asm.add_frame(frame(2, 0, b"2a", false)), Ok(None));
        assert_eq!(asm.add_frame(frame(2, 1, b"2b", true)), Ok(Some(Bytes::from_static(b"2a2b"))));
        assert_eq!(asm.add_frame(frame(1, 1, b"1b", true)), Ok(Some(Bytes::from_static(b"1a1b"))));

        for id in 0..=MAX_PENDING_CHANNELS as u8 {
            assert_eq!(asm.add_frame(frame(id, 1, b"z", true)), Ok(None));
        }
        assert_eq!(asm.pending_channels(), MAX_PENDING_CHANNELS);
        // Channel 0 was evicted, so its frame 0 now opens a new, incomplete channel.
        assert_eq!(asm.add_frame(frame(0, 0, b"y", false)), Ok(None));
        // Channel 2 is still there.
        assert_eq!(asm.add_frame(frame(2, 0, b"y", false)), Ok(Some(Bytes::from_static(b"yz"))));
        asm.clear();
        assert_eq!(asm.pending_channels(), 0);
    }

    #[test]
    fn oversized_channel_is_dropped() {
        let mut asm = ChannelAssembler::new(10);
        assert_eq!(asm.add_frame(frame(1, 0, &[0; 6], false)), Ok(None));
        assert_eq!(
            asm.add_frame(frame(1, 1, &[0; 5], true)),
            Err(BatchError::ChannelTooLarge { limit: 10 })
        );
        assert_eq!(asm.pending_channels(), 0);
        // Exactly at the limit is fine.
        assert_eq!(asm.add_frame(frame(1, 0, &[0; 6], false)), Ok(None));
        assert_eq!(asm.add_frame(frame(1, 1, &[0; 4], true)), Ok(Some(vec![0; 10].into())));
    }

    #[test]
    fn last_frame_number_u16_max() {
        let mut asm = ChannelAssembler::new(1 << 20);
        assert_eq!(asm.add_frame(frame(1, u16::MAX, b"", true)), Ok(None));
        for n in 0..u16::MAX - 1 {
            assert_eq!(asm.add_frame(frame(1, n, b"", false)), Ok(None));
        }
        assert_eq!(asm.add_frame(frame(1, u16::MAX - 1, b"", false)), Ok(Some(Bytes::new())));
    }

    #[test]
    fn one_transaction_one_channel() {
        let blocks = vec![BatchBlock {
            number: 1,
            timestamp: 2,
            l1_origin_number: 3,
            l1_origin_hash: B256::repeat_byte(4),
            transactions: vec![Bytes::from_static(b"tx")],
        }];
        let channel = encode_channel(&blocks, Compression::Zlib);
        let id = ChannelId::repeat_byte(9);
        let mut frames = split_channel(id, &channel, 8);
        assert!(frames.len() >= 3);
        frames.reverse();
        // A duplicate before the channel completes is ignored.
        frames.insert(1, frames[0].clone());
        assert_eq!(decode_channel_from_batch_data(&encode_batch_data(&frames)), Ok(blocks));
        // A frame after completion (even a duplicate) opens a new channel: rejected.
        let mut late = frames.clone();
        late.push(frames[0].clone());
        assert_eq!(
            decode_channel_from_batch_data(&encode_batch_data(&late)),
            Err(BatchError::IncompleteChannel { complete_channels: 1, pending_channels: 1 })
        );

        // Missing a frame.
        let incomplete = &frames[..frames.len() - 1];
        assert_eq!(
            decode_channel_from_batch_data(&encode_batch_data(incomplete)),
            Err(BatchError::IncompleteChannel { complete_channels: 0, pending_channels: 1 })
        );
        // Two complete channels.
        let mut two = split_channel(id, &channel, 8);
        two.extend(split_channel(ChannelId::repeat_byte(8), &channel, 8));
        assert_eq!(
            decode_channel_from_batch_data(&encode_batch_data(&two)),
            Err(BatchError::IncompleteChannel { complete_channels: 2, pending_channels: 0 })
        );
        // A complete channel plus a stray frame of another.
        let mut stray = split_channel(id, &channel, 8);
        stray.push(frame(1, 0, b"x", false));
        assert_eq!(
            decode_channel_from_batch_data(&encode_batch_data(&stray)),
            Err(BatchError::IncompleteChannel { complete_channels: 1, pending_channels: 1 })
        );
    }
}
