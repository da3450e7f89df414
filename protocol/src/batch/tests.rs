//! Property tests across the whole batch pipeline: round trips and panic-freedom.

use alloy_primitives::{B256, Bytes};
use proptest::{collection::vec, prelude::*};

use super::*;

fn arb_block(max_txs: usize, max_tx_len: usize) -> impl Strategy<Value = BatchBlock> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<[u8; 32]>(),
        vec(vec(any::<u8>(), 0..max_tx_len), 0..max_txs),
    )
        .prop_map(|(number, timestamp, l1_origin_number, hash, txs)| BatchBlock {
            number,
            timestamp,
            l1_origin_number,
            l1_origin_hash: B256::from(hash),
            transactions: txs.into_iter().map(Bytes::from).collect(),
        })
}

/// 0..20 blocks of 0..10 transactions of 0..300 random bytes.
fn arb_blocks() -> impl Strategy<Value = Vec<BatchBlock>> {
    vec(arb_block(10, 300), 0..20)
}

/// Smaller inputs for the tests that decode every truncation / mutation.
fn small_blocks() -> impl Strategy<Value = Vec<BatchBlock>> {
    vec(arb_block(4, 40), 0..4)
}

/// Deterministic Fisher-Yates shuffle driven by a xorshift PRNG.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    seed |= 1;
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// Every (compression, batch encoding) pair.
fn versions() -> impl Iterator<Item = (Compression, BatchEncoding)> {
    Compression::ALL.iter().flat_map(|c| BatchEncoding::ALL.iter().map(|e| (*c, *e)))
}

fn assemble(frames: Vec<Frame>) -> Result<Vec<Bytes>, BatchError> {
    let mut assembler = ChannelAssembler::default();
    let mut channels = Vec::new();
    for frame in frames {
        channels.extend(assembler.add_frame(frame)?);
    }
    Ok(channels)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn full_pipeline_round_trips(
        blocks in arb_blocks(),
        max_frame_data in 1usize..2000,
        id in any::<[u8; 16]>(),
        seed in any::<u64>(),
    ) {
        let id = ChannelId::from(id);
        for (compression, encoding) in versions() {
            let channel = encode_channel_with(&blocks, compression, encoding);
            let frames = split_channel(id, &channel, max_frame_data);
            prop_assert!(frames.iter().all(|f| f.data.len() <= max_frame_data));
            let data = encode_batch_data(&frames);

            let decoded = decode_batch_data(&data)?;
            prop_assert_eq!(&decoded, &frames);
            let channels = assemble(decoded)?;
            prop_assert_eq!(channels.len(), 1);
            prop_assert_eq!(&channels[0][..], &channel[..]);
            prop_assert_eq!(&decode_channel(&channels[0])?, &blocks);
            prop_assert_eq!(&decode_channel_from_batch_data(&data)?, &blocks);

            // Frames shuffled within the channel still reassemble.
            let mut shuffled = frames.clone();
            shuffle(&mut shuffled, seed);
            let channels = assemble(shuffled.clone())?;
            prop_assert_eq!(channels.len(), 1);
            prop_assert_eq!(&channels[0][..], &channel[..]);
            prop_assert_eq!(
                &decode_channel_from_batch_data(&encode_batch_data(&shuffled))?,
                &blocks
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(data in vec(any::<u8>(), 0..2048)) {
        let _ = decode_batch_data(&data);
        let _ = Frame::decode(&data);
        let _ = decode_channel(&data);
        let _ = decode_channel_from_batch_data(&data);
        // Same bytes behind every valid prefix, to get past the version checks.
        let mut prefixed = vec![DERIVATION_VERSION_0];
        prefixed.extend_from_slice(&data);
        let _ = decode_batch_data(&prefixed);
        let _ = decode_channel_from_batch_data(&prefixed);
        for compression in Compression::ALL {
            prefixed[0] = ChannelVersion::singular(*compression).to_byte();
            let _ = decode_channel(&prefixed);
            prefixed[0] = ChannelVersion::span(*compression).to_byte();
            let _ = decode_channel(&prefixed);
            let _ = compression.decompress_bounded(&data, 1 << 16);
        }
        let _ = decode_span(&data, crate::L2_CHAIN_ID);
    }

    #[test]
    fn assembler_never_panics_and_stays_bounded(
        frames in vec(
            (0u8..12, prop_oneof![0u16..6, any::<u16>()], vec(any::<u8>(), 0..40), any::<bool>()),
            0..200,
        ),
        max_channel_bytes in 0usize..200,
    ) {
        let mut assembler = ChannelAssembler::new(max_channel_bytes);
        for (id, number, data, is_last) in frames {
            let frame =
                Frame { id: ChannelId::repeat_byte(id), number, data: data.into(), is_last };
            match assembler.add_frame(frame) {
                Ok(Some(channel)) => prop_assert!(channel.len() <= max_channel_bytes),
                Ok(None) | Err(BatchError::ChannelTooLarge { .. }) => {}
                Err(other) => prop_assert!(false, "unexpected error {other}"),
            }
            prop_assert!(assembler.pending_channels() <= MAX_PENDING_CHANNELS);
            prop_assert!(
                assembler.buffered_bytes() <= MAX_PENDING_CHANNELS * max_channel_bytes
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn truncations_and_byte_flips_never_panic(
        blocks in small_blocks(),
        max_frame_data in 16usize..300,
        xor in 1u8..=255,
    ) {
        let id = ChannelId::repeat_byte(0x42);
        for (compression, encoding) in versions() {
            let channel = encode_channel_with(&blocks, compression, encoding);
            let data = encode_batch_data(&split_channel(id, &channel, max_frame_data));

            // Every strict prefix of a channel or of batch data is invalid.
            for len in 0..channel.len() {
                prop_assert!(decode_channel(&channel[..len]).is_err(), "{} {}", compression, len);
            }
            for len in 0..data.len() {
                let _ = Frame::decode(&data[len.min(1)..len]);
                prop_assert!(
                    decode_channel_from_batch_data(&data[..len]).is_err(),
                    "{} {}", compression, len
                );
            }

            // Any single flipped byte decodes to an error or to some value, never a panic.
            let mut mutated = channel.to_vec();
            for i in 0..mutated.len() {
                mutated[i] ^= xor;
                let _ = decode_channel(&mutated);
                mutated[i] ^= xor;
            }
            let mut mutated = data.to_vec();
            for i in 0..mutated.len() {
                mutated[i] ^= xor;
                if let Ok(frames) = decode_batch_data(&mutated) {
                    let _ = assemble(frames);
                }
                let _ = decode_channel_from_batch_data(&mutated);
                mutated[i] ^= xor;
            }
        }
    }
}
