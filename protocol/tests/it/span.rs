//! Span batches (channel batch encoding 1) round-trip exactly the blocks they were built
//! from, whatever the transactions: real signed legacy / EIP-2930 / EIP-1559 / EIP-7702
//! transactions with random fields and keys, transactions of other chains, garbage bytes.
//! The singular encoding still decodes the same blocks, and no decoder panics on arbitrary,
//! truncated or bit-flipped span data.

use alloy_consensus::{
    SignableTransaction, Signed, TxEip1559, TxEip2930, TxEip7702, TxEnvelope, TxLegacy,
};
use alloy_eips::{
    eip2718::{Decodable2718, Encodable2718},
    eip2930::{AccessList, AccessListItem},
    eip7702::{Authorization, SignedAuthorization},
};
use alloy_primitives::{Address, B128, B256, Bytes, Signature, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use proptest::{collection::vec, prelude::*};
use rollup_protocol::{
    L2_CHAIN_ID,
    batch::{
        BatchBlock, BatchEncoding, ChannelVersion, Compression, decode_channel,
        decode_channel_from_batch_data, decode_channel_with_chain_id, decode_span,
        encode_batch_data, encode_channel, encode_channel_with, encode_span, split_channel,
    },
};

/// Fields shared by every transaction type; each type uses the ones it has.
#[derive(Debug, Clone)]
struct Fields {
    chain_id: u64,
    nonce: u64,
    gas_limit: u64,
    fee: u128,
    tip: u128,
    to: Option<Address>,
    value: U256,
    input: Vec<u8>,
    access_list: AccessList,
    authorizations: Vec<SignedAuthorization>,
}

/// How the transaction is signed: a real signature by the key derived from the seed, or an
/// arbitrary `(r, s, y_parity)` (still a well-formed transaction, sender unrecoverable).
#[derive(Debug, Clone)]
enum Signer {
    Key(u64),
    Raw(U256, U256, bool),
}

fn small_or_any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..1000, any::<u64>()]
}

fn small_or_any_u128() -> impl Strategy<Value = u128> {
    prop_oneof![0u128..1000, (0u128..10_000).prop_map(|v| v * 1_000_000), any::<u128>()]
}

fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        Just(U256::ZERO),
        // Values with few significant digits, as real transfers have.
        (1u64..10_000, 0u64..60)
            .prop_map(|(m, e)| U256::from(m) * U256::from(10).pow(U256::from(e))),
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
        any::<u64>().prop_map(U256::from),
    ]
}

fn address() -> impl Strategy<Value = Address> {
    prop_oneof![(0u8..4).prop_map(Address::repeat_byte), any::<[u8; 20]>().prop_map(Address::from)]
}

fn access_list() -> impl Strategy<Value = AccessList> {
    vec(
        (address(), vec(any::<[u8; 32]>().prop_map(B256::from), 0..3))
            .prop_map(|(address, storage_keys)| AccessListItem { address, storage_keys }),
        0..3,
    )
    .prop_map(AccessList)
}

fn authorization() -> impl Strategy<Value = SignedAuthorization> {
    (any::<u64>(), address(), any::<u64>(), any::<u8>(), u256(), u256()).prop_map(
        |(chain_id, address, nonce, y_parity, r, s)| {
            let auth = Authorization { chain_id: U256::from(chain_id), address, nonce };
            SignedAuthorization::new_unchecked(auth, y_parity, r, s)
        },
    )
}

fn fields() -> impl Strategy<Value = Fields> {
    (
        prop_oneof![8 => Just(L2_CHAIN_ID), 1 => Just(1u64), 1 => any::<u64>()],
        small_or_any_u64(),
        small_or_any_u64(),
        small_or_any_u128(),
        small_or_any_u128(),
        prop::option::weighted(0.8, address()),
        u256(),
        vec(any::<u8>(), 0..80),
        access_list(),
        vec(authorization(), 0..3),
    )
        .prop_map(
            |(chain_id, nonce, gas_limit, fee, tip, to, value, input, access_list, auths)| Fields {
                chain_id,
                nonce,
                gas_limit,
                fee,
                tip,
                to,
                value,
                input,
                access_list,
                authorizations: auths,
            },
        )
}

fn signer() -> impl Strategy<Value = Signer> {
    prop_oneof![
        3 => any::<u64>().prop_map(Signer::Key),
        1 => (u256(), u256(), any::<bool>()).prop_map(|(r, s, y)| Signer::Raw(r, s, y)),
    ]
}

fn sign<T>(tx: T, signer: &Signer) -> Bytes
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<Signed<T>>,
{
    let signature = match signer {
        Signer::Key(seed) => PrivateKeySigner::from_bytes(&keccak256(seed.to_be_bytes()))
            .expect("a keccak output is a valid secp256k1 key")
            .sign_hash_sync(&tx.signature_hash())
            .expect("signing cannot fail"),
        Signer::Raw(r, s, y) => Signature::new(*r, *s, *y),
    };
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718().into()
}

/// A signed transaction of type `ty` (0 = legacy unprotected, 1 = legacy EIP-155, 2 =
/// EIP-2930, 3 = EIP-1559, 4 = EIP-7702).
fn build(ty: u8, f: Fields, signer: &Signer) -> Bytes {
    let kind = f.to.map_or(TxKind::Create, TxKind::Call);
    match ty {
        0 | 1 => sign(
            TxLegacy {
                chain_id: (ty == 1).then_some(f.chain_id),
                nonce: f.nonce,
                gas_price: f.fee,
                gas_limit: f.gas_limit,
                to: kind,
                value: f.value,
                input: f.input.into(),
            },
            signer,
        ),
        2 => sign(
            TxEip2930 {
                chain_id: f.chain_id,
                nonce: f.nonce,
                gas_price: f.fee,
                gas_limit: f.gas_limit,
                to: kind,
                value: f.value,
                access_list: f.access_list,
                input: f.input.into(),
            },
            signer,
        ),
        3 => sign(
            TxEip1559 {
                chain_id: f.chain_id,
                nonce: f.nonce,
                gas_limit: f.gas_limit,
                max_fee_per_gas: f.fee,
                max_priority_fee_per_gas: f.tip,
                to: kind,
                value: f.value,
                access_list: f.access_list,
                input: f.input.into(),
            },
            signer,
        ),
        _ => sign(
            TxEip7702 {
                chain_id: f.chain_id,
                nonce: f.nonce,
                gas_limit: f.gas_limit,
                max_fee_per_gas: f.fee,
                max_priority_fee_per_gas: f.tip,
                to: f.to.unwrap_or_default(),
                value: f.value,
                access_list: f.access_list,
                authorization_list: f.authorizations,
                input: f.input.into(),
            },
            signer,
        ),
    }
}

/// A real signed transaction, garbage bytes, or a real transaction with one byte changed.
fn transaction() -> impl Strategy<Value = Bytes> {
    let real = || (0u8..5, fields(), signer()).prop_map(|(ty, f, s)| build(ty, f, &s));
    prop_oneof![
        8 => real(),
        1 => vec(any::<u8>(), 0..120).prop_map(Bytes::from),
        1 => (real(), any::<prop::sample::Index>(), 1u8..=255).prop_map(|(tx, at, xor)| {
            let mut tx = tx.to_vec();
            let at = at.index(tx.len());
            tx[at] ^= xor;
            tx.into()
        }),
    ]
}

fn block(txs: impl Strategy<Value = Vec<Bytes>>) -> impl Strategy<Value = BatchBlock> {
    (any::<u64>(), any::<u64>(), any::<u64>(), any::<[u8; 32]>(), txs).prop_map(
        |(number, timestamp, l1_origin_number, hash, transactions)| BatchBlock {
            number,
            timestamp,
            l1_origin_number,
            l1_origin_hash: B256::from(hash),
            transactions,
        },
    )
}

/// Blocks with arbitrary fields, or a realistic run (consecutive numbers, 2 s apart, L1
/// origin advancing by 0 or 1).
fn blocks(max_blocks: usize, max_txs: usize) -> impl Strategy<Value = Vec<BatchBlock>> {
    prop_oneof![
        vec(block(vec(transaction(), 0..max_txs)), 0..max_blocks),
        (vec((any::<bool>(), vec(transaction(), 0..max_txs)), 1..max_blocks), any::<u32>())
            .prop_map(|(plan, start)| {
                let mut origin = u64::from(start) / 6;
                plan.into_iter()
                    .enumerate()
                    .map(|(i, (advance, transactions))| {
                        origin += u64::from(advance);
                        BatchBlock {
                            number: u64::from(start) + i as u64,
                            timestamp: 1_700_000_000 + 2 * i as u64,
                            l1_origin_number: origin,
                            l1_origin_hash: keccak256(origin.to_be_bytes()),
                            transactions,
                        }
                    })
                    .collect()
            }),
    ]
}

/// Whether `raw` is a canonical EIP-2718 legacy / EIP-2930 / EIP-1559 / EIP-7702
/// transaction of the L2 chain, i.e. one the span encoding must store in its columns.
fn columnar(raw: &[u8]) -> bool {
    let mut buf = raw;
    let Ok(tx) = TxEnvelope::decode_2718(&mut buf) else { return false };
    let chain_ok = match &tx {
        TxEnvelope::Legacy(tx) => tx.tx().chain_id.is_none_or(|id| id == L2_CHAIN_ID),
        TxEnvelope::Eip2930(tx) => tx.tx().chain_id == L2_CHAIN_ID,
        TxEnvelope::Eip1559(tx) => tx.tx().chain_id == L2_CHAIN_ID,
        TxEnvelope::Eip7702(tx) => tx.tx().chain_id == L2_CHAIN_ID,
        TxEnvelope::Eip4844(_) => false,
    };
    buf.is_empty() && chain_ok && tx.encoded_2718() == raw
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn span_round_trips_byte_exactly(blocks in blocks(6, 8), max_frame_data in 16usize..4000) {
        let span = encode_span(&blocks, L2_CHAIN_ID);
        prop_assert_eq!(&decode_span(&span, L2_CHAIN_ID)?, &blocks);
        // Canonical transactions of the chain are stored in columns, not verbatim.
        for tx in blocks.iter().flat_map(|b| &b.transactions) {
            if columnar(tx) {
                prop_assert!(!span.windows(tx.len()).any(|w| w == &tx[..]), "opaque {}", tx);
            }
        }
        for compression in Compression::ALL {
            let channel = encode_channel_with(&blocks, *compression, BatchEncoding::Span);
            prop_assert_eq!(channel[0], ChannelVersion::span(*compression).to_byte());
            prop_assert_eq!(&decode_channel(&channel)?, &blocks);
            prop_assert_eq!(&decode_channel_with_chain_id(&channel, L2_CHAIN_ID)?, &blocks);
            let frames = split_channel(B128::repeat_byte(1), &channel, max_frame_data);
            prop_assert_eq!(&decode_channel_from_batch_data(&encode_batch_data(&frames))?, &blocks);

            // The singular encoding of the same blocks still decodes to them.
            let singular = encode_channel(&blocks, *compression);
            prop_assert_eq!(singular[0], ChannelVersion::singular(*compression).to_byte());
            prop_assert_eq!(&decode_channel(&singular)?, &blocks);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn span_decoding_never_panics_on_arbitrary_bytes(data in vec(any::<u8>(), 0..2048)) {
        let _ = decode_span(&data, L2_CHAIN_ID);
        for compression in Compression::ALL {
            let mut channel = vec![ChannelVersion::span(*compression).to_byte()];
            channel.extend_from_slice(&data);
            let _ = decode_channel(&channel);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn truncated_or_bit_flipped_span_data_never_panics(
        blocks in blocks(3, 4),
        xor in 1u8..=255,
        bit in 0u8..8,
    ) {
        let span = encode_span(&blocks, L2_CHAIN_ID);
        for len in 0..span.len() {
            prop_assert!(decode_span(&span[..len], L2_CHAIN_ID).is_err(), "prefix {}", len);
        }
        let mut mutated = span;
        for i in 0..mutated.len() {
            for flip in [xor, 1 << bit] {
                mutated[i] ^= flip;
                // Either an error or some blocks, which then re-encode to a decodable span.
                if let Ok(decoded) = decode_span(&mutated, L2_CHAIN_ID) {
                    let again = encode_span(&decoded, L2_CHAIN_ID);
                    prop_assert_eq!(decode_span(&again, L2_CHAIN_ID)?, decoded);
                }
                mutated[i] ^= flip;
            }
        }
        for compression in [Compression::Zlib, Compression::Brotli, Compression::Zstd] {
            let channel = encode_channel_with(&blocks, compression, BatchEncoding::Span);
            let mut mutated = channel.to_vec();
            for i in 0..mutated.len() {
                mutated[i] ^= xor;
                let _ = decode_channel(&mutated);
                mutated[i] ^= xor;
            }
        }
    }
}
