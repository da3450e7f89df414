//! Property tests across the whole batch pipeline: round trips and panic-freedom.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEip7702, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
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

/// A 32-byte ABI word: zero, small, round, an address (from a small pool, so that they
/// repeat, or random), a power of two or one less (the boundaries of the word kinds), or
/// anything.
fn arb_word() -> impl Strategy<Value = U256> {
    prop_oneof![
        Just(U256::ZERO),
        any::<u64>().prop_map(U256::from),
        (1u64..10_000, 0u64..60)
            .prop_map(|(m, e)| { U256::from(m).saturating_mul(U256::from(10).pow(U256::from(e))) }),
        (0u8..4).prop_map(|i| U256::from_be_slice(Address::repeat_byte(0x10 + i).as_slice())),
        any::<[u8; 20]>().prop_map(|a| U256::from_be_slice(&a)),
        (0usize..256).prop_map(|b| U256::from(1) << b),
        (1usize..=256).prop_map(|b| U256::MAX >> (256 - b)),
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
    ]
}

/// Calldata: raw bytes (of any length, some of the ABI form) or a selector and words.
fn arb_calldata() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        vec(any::<u8>(), 0..80),
        (prop::sample::select(vec![0xa905_9cbb_u32, 0x1234_5678, 0]), vec(arb_word(), 0..6))
            .prop_map(|(selector, words)| {
                let words = words.into_iter().flat_map(|w| w.to_be_bytes::<32>());
                selector.to_be_bytes().into_iter().chain(words).collect()
            }),
    ]
    .prop_map(Bytes::from)
}

/// A signed transaction of any type the span columns store (and, with a foreign chain id
/// or a high `s`, some they leave opaque), its fields anything.
fn arb_tx() -> impl Strategy<Value = Bytes> {
    let kind = prop_oneof![
        Just(TxKind::Create),
        (0u8..4).prop_map(|i| TxKind::Call(Address::repeat_byte(0x10 + i))),
        any::<[u8; 20]>().prop_map(|a| TxKind::Call(Address::from(a))),
    ];
    let fee = prop_oneof![0u128..2_000_000_000, any::<u128>()];
    (
        (0u8..6, prop_oneof![4 => Just(901u64), 1 => any::<u64>()]),
        (prop_oneof![0u64..300, any::<u64>()], prop_oneof![Just(21_000u64), any::<u64>()]),
        (fee.clone(), fee, kind, arb_word(), arb_calldata()),
        (any::<[u8; 32]>(), any::<[u8; 32]>(), prop_oneof![9 => Just(false), 1 => Just(true)]),
        any::<bool>(),
    )
        .prop_map(|((ty, chain_id), (nonce, gas_limit), fees, (r, mut s, high_s), parity)| {
            let (a, b, to, value, input) = fees;
            if !high_s {
                s[0] &= 0x7f;
            }
            let signature = Signature::new(U256::from_be_bytes(r), U256::from_be_bytes(s), parity);
            let (max_fee, tip) = (a.max(b), a.min(b));
            let call = to.to().copied().unwrap_or_default();
            let envelope = match ty {
                0 | 1 => TxEnvelope::from(
                    TxLegacy {
                        chain_id: (ty == 0).then_some(chain_id),
                        nonce,
                        gas_price: a,
                        gas_limit,
                        to,
                        value,
                        input,
                    }
                    .into_signed(signature),
                ),
                2 => TxEnvelope::from(
                    TxEip2930 {
                        chain_id,
                        nonce,
                        gas_price: a,
                        gas_limit,
                        to,
                        value,
                        input,
                        ..Default::default()
                    }
                    .into_signed(signature),
                ),
                3 => TxEnvelope::from(
                    TxEip7702 {
                        chain_id,
                        nonce,
                        gas_limit,
                        max_fee_per_gas: max_fee,
                        max_priority_fee_per_gas: tip,
                        to: call,
                        value,
                        input,
                        ..Default::default()
                    }
                    .into_signed(signature),
                ),
                _ => TxEnvelope::from(
                    TxEip1559 {
                        chain_id,
                        nonce,
                        gas_limit,
                        max_fee_per_gas: if ty == 4 { max_fee } else { tip },
                        max_priority_fee_per_gas: if ty == 4 { tip } else { max_fee },
                        to,
                        value,
                        input,
                        ..Default::default()
                    }
                    .into_signed(signature),
                ),
            };
            Bytes::from(envelope.encoded_2718())
        })
}

/// 1..6 blocks of 0..12 such transactions.
fn tx_blocks() -> impl Strategy<Value = Vec<BatchBlock>> {
    vec((any::<u64>(), vec(arb_tx(), 0..12)), 1..6).prop_map(|blocks| {
        blocks
            .into_iter()
            .map(|(number, transactions)| BatchBlock {
                number,
                timestamp: number / 2,
                l1_origin_number: number / 6,
                l1_origin_hash: B256::with_last_byte(number as u8),
                transactions,
            })
            .collect()
    })
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
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn span_batches_of_transactions_round_trip(blocks in tx_blocks(), xor in 1u8..=255) {
        let span = encode_span(&blocks, crate::L2_CHAIN_ID);
        prop_assert_eq!(&decode_span(&span, crate::L2_CHAIN_ID)?, &blocks);
        for compression in Compression::ALL {
            let channel = encode_channel_with(&blocks, *compression, BatchEncoding::Span);
            prop_assert_eq!(&decode_channel(&channel)?, &blocks);
        }
        // Truncations fail; flipped bytes decode to an error or to some blocks, never panic.
        for len in (0..span.len()).step_by(11) {
            prop_assert!(decode_span(&span[..len], crate::L2_CHAIN_ID).is_err());
        }
        let mut mutated = span;
        for i in (0..mutated.len()).step_by(17) {
            mutated[i] ^= xor;
            let _ = decode_span(&mutated, crate::L2_CHAIN_ID);
            mutated[i] ^= xor;
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
