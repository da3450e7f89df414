//! The peer column of `rollup bench fees`: the run's blocks encoded by the
//! OP Stack's own span-batch encoder (the `kona-protocol` crate, op-rs/kona)
//! and compressed as op-batcher compresses a channel, so the bytes per
//! transaction of our encoding stand against the reference implementation.
//!
//! op-batcher with `--batch-type=1` (span) and `--compression-algo=brotli`
//! (an alias of `brotli-10`) puts a channel's blocks in one span batch
//! (`SpanChannelOut`), writes it as `rlp_string(0x01 ++ raw span batch)`
//! (`BatchData.EncodeRLP`) and compresses that as `0x01 ++ brotli` (the
//! Fjord channel version byte). The channels are cut exactly where our
//! batcher cut them and framed the same way, so only the encoding (and, for
//! the op-batcher column, brotli's quality) differs.

use super::{accounting, report::channel_blocks, run};
use alloy_primitives::keccak256;
use eyre::eyre;
use kona_protocol::{Batch, SingleBatch, SpanBatch};
use rollup_protocol::batch::{BROTLI_QUALITY, BatchBlock, compress_brotli};

/// Brotli quality of op-batcher's `brotli` (`brotli-10`).
pub(crate) const OP_BATCHER_BROTLI_QUALITY: u32 = 10;

/// The uncompressed channel payload op-batcher would build for `blocks`:
/// `rlp_string(0x01 ++ raw span batch)`, encoded by `kona-protocol`.
/// `first_of_epoch` says whether `blocks[0]` opens its L1 origin's epoch
/// (sequence number 0).
pub(crate) fn span_payload(
    blocks: &[BatchBlock],
    chain_id: u64,
    first_of_epoch: bool,
) -> eyre::Result<Vec<u8>> {
    let mut span = SpanBatch { chain_id, ..Default::default() };
    for (i, block) in blocks.iter().enumerate() {
        let single = SingleBatch {
            // Neither chain's blocks carry their parent hash here; a hash
            // stand-in keeps the 20-byte parent check as incompressible as
            // a real one.
            parent_hash: keccak256(block.number.saturating_sub(1).to_be_bytes()),
            epoch_num: block.l1_origin_number,
            epoch_hash: block.l1_origin_hash,
            timestamp: block.timestamp,
            transactions: block.transactions.clone(),
        };
        let seq_num = u64::from(!(i == 0 && first_of_epoch));
        span.append_singular_batch(single, seq_num)
            .map_err(|e| eyre!("kona-protocol refused block {}: {e}", block.number))?;
    }
    let mut typed = Vec::new();
    Batch::Span(span).encode(&mut typed).map_err(|e| eyre!("kona-protocol span batch: {e}"))?;
    let mut out = Vec::with_capacity(typed.len() + 9);
    alloy_rlp::Encodable::encode(&typed.as_slice(), &mut out);
    Ok(out)
}

/// A channel as op-batcher posts it: `0x01 ++ brotli(payload)` at `quality`
/// (window 2^22, as ours).
pub(crate) fn brotli_channel(payload: &[u8], quality: u32) -> Vec<u8> {
    let mut out = vec![0x01];
    out.extend_from_slice(&compress_brotli(payload, quality));
    out
}

/// The peer figures printed beside ours.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct KonaBytes {
    /// kona-protocol span batches under our brotli settings, bytes per
    /// transaction.
    pub span_same_brotli: f64,
    /// kona-protocol span batches under op-batcher's `brotli-10`, bytes per
    /// transaction.
    pub span_op_batcher_brotli: f64,
}

/// Bytes posted per transaction of `txs` for the run's blocks as kona's span
/// batches, in the channels our batcher cut, under both brotli qualities
/// (each channel's payload encoded once).
pub(crate) fn bytes_per_tx(
    run: &run::RollupRun,
    chain_id: u64,
    txs: usize,
) -> eyre::Result<KonaBytes> {
    let (mut same, mut op_batcher) = (0, 0);
    for b in &run.batches {
        let blocks: Vec<BatchBlock> = channel_blocks(run, b).cloned().collect();
        let first_of_epoch = blocks.first().is_some_and(|first| {
            run.blocks
                .iter()
                .find(|x| x.number + 1 == first.number)
                .is_none_or(|prev| prev.l1_origin_number != first.l1_origin_number)
        });
        let payload = span_payload(&blocks, chain_id, first_of_epoch)?;
        let posted = |quality| {
            accounting::posted_bytes(brotli_channel(&payload, quality).len(), b.blobs > 0)
        };
        same += posted(BROTLI_QUALITY);
        op_batcher += posted(OP_BATCHER_BROTLI_QUALITY);
    }
    let n = txs.max(1) as f64;
    Ok(KonaBytes {
        span_same_brotli: same as f64 / n,
        span_op_batcher_brotli: op_batcher as f64 / n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
    use alloy_eips::Encodable2718;
    use alloy_primitives::{Address, Bytes, TxKind, U256};
    use alloy_signer::SignerSync;
    use kona_protocol::decompress_brotli;
    use rollup_client::dev::dev_account;

    fn blocks(chain_id: u64) -> Vec<BatchBlock> {
        let key = dev_account(3);
        let mut nonce = 0;
        (1..=6u64)
            .map(|number| BatchBlock {
                number,
                timestamp: 1_000 + 2 * number,
                l1_origin_number: number / 3,
                l1_origin_hash: keccak256((number / 3).to_be_bytes()),
                transactions: (0..3)
                    .map(|_| {
                        let tx = TxEip1559 {
                            chain_id,
                            nonce,
                            gas_limit: 21_000,
                            max_fee_per_gas: 2_000_000_000,
                            max_priority_fee_per_gas: 1_000_000,
                            to: TxKind::Call(Address::repeat_byte(nonce as u8)),
                            value: U256::from(nonce + 1),
                            ..Default::default()
                        };
                        nonce += 1;
                        let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
                        let envelope: TxEnvelope = tx.into_signed(sig).into();
                        Bytes::from(envelope.encoded_2718())
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn kona_encodes_what_kona_decodes_back() {
        let chain_id = 901;
        let blocks = blocks(chain_id);
        let payload = span_payload(&blocks, chain_id, true).unwrap();
        let channel = brotli_channel(&payload, OP_BATCHER_BROTLI_QUALITY);
        assert_eq!(channel[0], 0x01, "Fjord brotli channel version byte");
        let inflated = decompress_brotli(&channel[1..], 1 << 20).unwrap();
        assert_eq!(inflated, payload);
        // rlp_string(0x01 ++ raw span batch), decoded by kona's own reader.
        let typed: Bytes = alloy_rlp::Decodable::decode(&mut inflated.as_slice()).unwrap();
        assert_eq!(typed[0], kona_protocol::SPAN_BATCH_TYPE);
        let raw = kona_protocol::RawSpanBatch::decode(&mut &typed[1..]).unwrap();
        assert_eq!(raw.payload.block_count, blocks.len() as u64);
        assert_eq!(raw.payload.block_tx_counts, vec![3; 6]);
        // The transactions come back byte for byte.
        let full = raw.payload.txs.full_txs(chain_id).unwrap();
        let sent: Vec<Vec<u8>> =
            blocks.iter().flat_map(|b| b.transactions.iter().map(|t| t.to_vec())).collect();
        assert_eq!(full, sent);
    }
}
