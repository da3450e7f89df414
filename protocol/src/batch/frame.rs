//! Frames and the batch data posted in one L1 transaction.
//!
//! After the OP Stack derivation spec:
//! - "Batch Submission Wire Format": the batch data of one L1 transaction (calldata of
//!   `BatchInbox.appendBatch(..., bytes data)`, or one blob) is
//!   `derivation_version ++ frame ++ frame ++ ...`, with version `0x00` and at least one frame;
//!   if any frame fails to parse, all frames of that data are dropped.
//! - "Frame Format": `frame = channel_id (16 bytes) ++ frame_number (u16 BE) ++
//!   frame_data_length (u32 BE) ++ frame_data ++ is_last (u8)`, where `is_last` must be 0 or 1.

use alloy_primitives::{B128, Bytes};

use super::BatchError;

/// Identifier of a channel, chosen by the batcher (for example the first 16 bytes of a hash
/// over the channel's content, or random). A 16-byte value (`B128`, convertible from
/// `[u8; 16]`), as in the OP Stack "Frame Format".
pub type ChannelId = B128;

/// Derivation version byte that prefixes batch data ("Batch Submission Wire Format").
pub const DERIVATION_VERSION_0: u8 = 0x00;

/// Maximum `frame_data_length` accepted by [`Frame::decode`], in bytes. Longer declared lengths
/// are rejected before anything is allocated (OP Stack "Frame Format" uses the same bound,
/// `MAX_FRAME_LEN = 1_000_000`).
pub const MAX_FRAME_DATA_LEN: usize = 1_000_000;

/// Bytes a frame adds around its data: channel id (16) + frame number (2) + data length (4)
/// + `is_last` (1) = 23 bytes. Useful for sizing frames to an L1 transaction or blob.
pub const FRAME_OVERHEAD: usize = 16 + 2 + 4 + 1;

/// Maximum number of frames in one channel: frame numbers are `u16` (0..=65535).
pub const MAX_FRAMES_PER_CHANNEL: usize = u16::MAX as usize + 1;

/// One frame: a numbered chunk of a channel ("Frame Format").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    /// The channel this frame belongs to.
    pub id: ChannelId,
    /// Position of this frame within its channel, starting at 0.
    pub number: u16,
    /// A chunk of the channel's bytes, at most [`MAX_FRAME_DATA_LEN`] bytes.
    pub data: Bytes,
    /// Whether this is the last frame of the channel.
    pub is_last: bool,
}

impl Frame {
    /// Encoded size of this frame: [`FRAME_OVERHEAD`] + data length, in bytes.
    pub fn encoded_len(&self) -> usize {
        FRAME_OVERHEAD + self.data.len()
    }

    /// Appends the wire encoding ("Frame Format") to `out`.
    ///
    /// Frames whose data is longer than [`MAX_FRAME_DATA_LEN`] encode fine but are rejected
    /// by [`Frame::decode`]; [`split_channel`] never produces them for channels below
    /// 65 GB.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(self.id.as_slice());
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&u32::try_from(self.data.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&self.data);
        out.push(u8::from(self.is_last));
    }

    /// Decodes one frame from the start of `data`, returning it with the number of bytes it
    /// occupied (the caller continues with the next frame from there).
    ///
    /// # Errors
    ///
    /// [`BatchError::Truncated`] if `data` ends inside the frame,
    /// [`BatchError::FrameTooLarge`] if `frame_data_length` exceeds [`MAX_FRAME_DATA_LEN`]
    /// (checked before allocating), [`BatchError::InvalidIsLast`] if `is_last` is not 0 or 1.
    pub fn decode(data: &[u8]) -> Result<(Self, usize), BatchError> {
        const HEADER: usize = 16 + 2 + 4;
        let header = data.get(..HEADER).ok_or(BatchError::Truncated {
            what: "frame header",
            needed: HEADER,
            available: data.len(),
        })?;
        let (id, rest) = header.split_at(16);
        let (number, len) = rest.split_at(2);
        let id = ChannelId::from_slice(id);
        let number = u16::from_be_bytes([number[0], number[1]]);
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        let len = usize::try_from(len)
            .ok()
            .filter(|&len| len <= MAX_FRAME_DATA_LEN)
            .ok_or(BatchError::FrameTooLarge { len: len.into(), max: MAX_FRAME_DATA_LEN })?;
        let body = &data[HEADER..];
        let (frame_data, is_last) = match (body.get(..len), body.get(len)) {
            (Some(frame_data), Some(&is_last)) => (frame_data, is_last),
            _ => {
                return Err(BatchError::Truncated {
                    what: "frame data and is_last",
                    needed: len + 1,
                    available: body.len(),
                });
            }
        };
        let is_last = match is_last {
            0 => false,
            1 => true,
            other => return Err(BatchError::InvalidIsLast(other)),
        };
        let frame = Self { id, number, data: Bytes::copy_from_slice(frame_data), is_last };
        Ok((frame, HEADER + len + 1))
    }
}

/// Encodes the batch data of one L1 transaction: [`DERIVATION_VERSION_0`] followed by the
/// frames ("Batch Submission Wire Format"). Pass at least one frame; decoding rejects data
/// without frames.
pub fn encode_batch_data(frames: &[Frame]) -> Bytes {
    let mut out = Vec::with_capacity(1 + frames.iter().map(Frame::encoded_len).sum::<usize>());
    out.push(DERIVATION_VERSION_0);
    for frame in frames {
        frame.encode(&mut out);
    }
    out.into()
}

/// Decodes the batch data of one L1 transaction into its frames.
///
/// Per the OP Stack rule ("Batch Submission Wire Format"), the data is rejected as a whole if
/// its version byte is unknown, it holds no frame, or any frame fails to parse (including
/// trailing bytes too short to be a frame).
///
/// # Errors
///
/// [`BatchError::EmptyBatchData`], [`BatchError::UnknownDerivationVersion`],
/// [`BatchError::NoFrames`], or [`BatchError::InvalidFrame`] wrapping the frame's error.
pub fn decode_batch_data(data: &[u8]) -> Result<Vec<Frame>, BatchError> {
    let (&version, mut rest) = data.split_first().ok_or(BatchError::EmptyBatchData)?;
    if version != DERIVATION_VERSION_0 {
        return Err(BatchError::UnknownDerivationVersion(version));
    }
    let mut frames = Vec::new();
    let mut offset = 1;
    while !rest.is_empty() {
        let (frame, used) = Frame::decode(rest).map_err(|source| BatchError::InvalidFrame {
            index: frames.len(),
            offset,
            source: Box::new(source),
        })?;
        frames.push(frame);
        rest = &rest[used..];
        offset += used;
    }
    if frames.is_empty() {
        return Err(BatchError::NoFrames);
    }
    Ok(frames)
}

/// Splits a channel (the output of [`encode_channel`](super::encode_channel)) into frames
/// numbered 0, 1, ... carrying at most `max_frame_data` bytes each; the last frame has
/// `is_last` set. An empty channel still yields one (empty, last) frame.
///
/// `max_frame_data` is clamped to `1..=`[`MAX_FRAME_DATA_LEN`]. Frame numbers are `u16`, so
/// if the channel would need more than [`MAX_FRAMES_PER_CHANNEL`] frames, the frame size is
/// raised to `ceil(len / 65536)` bytes; with realistic frame sizes (kilobytes or more) and
/// channels (at most [`MAX_CHANNEL_DECOMPRESSED_BYTES`](super::MAX_CHANNEL_DECOMPRESSED_BYTES)
/// bytes) this never happens.
pub fn split_channel(id: ChannelId, channel: &[u8], max_frame_data: usize) -> Vec<Frame> {
    let size = max_frame_data
        .clamp(1, MAX_FRAME_DATA_LEN)
        .max(channel.len().div_ceil(MAX_FRAMES_PER_CHANNEL));
    if channel.is_empty() {
        return vec![Frame { id, number: 0, data: Bytes::new(), is_last: true }];
    }
    let count = channel.len().div_ceil(size);
    channel
        .chunks(size)
        .enumerate()
        .map(|(i, chunk)| Frame {
            id,
            number: u16::try_from(i).unwrap_or(u16::MAX),
            data: Bytes::copy_from_slice(chunk),
            is_last: i + 1 == count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(number: u16, data: &[u8], is_last: bool) -> Frame {
        Frame {
            id: ChannelId::repeat_byte(0x11),
            number,
            data: Bytes::copy_from_slice(data),
            is_last,
        }
    }

    #[test]
    fn frame_wire_layout() {
        let f = frame(0x0102, b"abc", true);
        let mut out = Vec::new();
        f.encode(&mut out);
        let mut expected = vec![0x11; 16];
        expected.extend_from_slice(&[0x01, 0x02, 0, 0, 0, 3, b'a', b'b', b'c', 1]);
        assert_eq!(out, expected);
        assert_eq!(out.len(), f.encoded_len());
        assert_eq!(Frame::decode(&out).unwrap(), (f, out.len()));
    }

    #[test]
    fn frame_decode_errors() {
        let mut out = Vec::new();
        frame(3, b"xyz", false).encode(&mut out);
        for len in 0..out.len() {
            assert!(matches!(Frame::decode(&out[..len]), Err(BatchError::Truncated { .. })));
        }
        let mut bad = out.clone();
        *bad.last_mut().unwrap() = 2;
        assert_eq!(Frame::decode(&bad), Err(BatchError::InvalidIsLast(2)));
        // A huge declared length is rejected without reading (or allocating) it.
        let mut huge = out[..18].to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            Frame::decode(&huge),
            Err(BatchError::FrameTooLarge { len: u32::MAX.into(), max: MAX_FRAME_DATA_LEN })
        );
        let mut max = out[..18].to_vec();
        max.extend_from_slice(&(MAX_FRAME_DATA_LEN as u32 + 1).to_be_bytes());
        assert!(matches!(Frame::decode(&max), Err(BatchError::FrameTooLarge { .. })));
    }

    #[test]
    fn batch_data_rules() {
        let frames = vec![frame(0, b"a", false), frame(1, b"", true)];
        let data = encode_batch_data(&frames);
        assert_eq!(data[0], DERIVATION_VERSION_0);
        assert_eq!(decode_batch_data(&data).unwrap(), frames);

        assert_eq!(decode_batch_data(&[]), Err(BatchError::EmptyBatchData));
        assert_eq!(decode_batch_data(&[0x00]), Err(BatchError::NoFrames));
        let mut v1 = data.to_vec();
        v1[0] = 0x01;
        assert_eq!(decode_batch_data(&v1), Err(BatchError::UnknownDerivationVersion(1)));

        // One bad frame rejects all of them, even the valid first one.
        let mut bad = data.to_vec();
        *bad.last_mut().unwrap() = 2;
        assert_eq!(
            decode_batch_data(&bad),
            Err(BatchError::InvalidFrame {
                index: 1,
                offset: 1 + frames[0].encoded_len(),
                source: Box::new(BatchError::InvalidIsLast(2)),
            })
        );
        let mut trailing = data.to_vec();
        trailing.push(0);
        assert!(matches!(
            decode_batch_data(&trailing),
            Err(BatchError::InvalidFrame { index: 2, .. })
        ));
    }

    #[test]
    fn split_numbers_and_sizes() {
        let id = ChannelId::repeat_byte(7);
        let empty = split_channel(id, &[], 10);
        assert_eq!(empty, vec![Frame { id, number: 0, data: Bytes::new(), is_last: true }]);

        let channel: Vec<u8> = (0..25u8).collect();
        let frames = split_channel(id, &channel, 10);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames.iter().map(|f| f.number).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(frames.iter().map(|f| f.is_last).collect::<Vec<_>>(), [false, false, true]);
        assert_eq!(frames.iter().map(|f| f.data.len()).collect::<Vec<_>>(), [10, 10, 5]);
        assert_eq!(frames.concat_data(), channel);

        // Exact multiple: no empty trailing frame.
        assert_eq!(split_channel(id, &channel[..20], 10).len(), 2);
        // Size 0 is treated as 1.
        assert_eq!(split_channel(id, &channel, 0).len(), 25);
        // Too many frames for u16 numbers: frames get bigger instead.
        let big = vec![0u8; MAX_FRAMES_PER_CHANNEL + 1];
        let frames = split_channel(id, &big, 1);
        assert_eq!(frames.len(), MAX_FRAMES_PER_CHANNEL / 2 + 1);
        assert!(frames.last().unwrap().is_last);
        assert_eq!(frames.last().unwrap().number as usize, frames.len() - 1);
    }

    trait ConcatData {
        fn concat_data(&self) -> Vec<u8>;
    }

    impl ConcatData for Vec<Frame> {
        fn concat_data(&self) -> Vec<u8> {
            self.iter().flat_map(|f| f.data.iter().copied()).collect()
        }
    }
}
