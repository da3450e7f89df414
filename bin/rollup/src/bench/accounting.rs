//! The fee benchmark's accounting, as pure functions over what the run
//! recorded (batch and output receipts, per-kind bytes and gas), so it can
//! be tested without running a chain.
//!
//! - **Spend** ([`Spend::of`]): every batch and output proposal from its
//!   receipt. A batch's fee splits into execution (gas used × effective gas
//!   price) and blob gas (blobs × 131,072 × the blob base fee paid). Besides
//!   what was paid, blob gas is also priced at `max(paid, reserve)` where
//!   the reserve is EIP-7918's `BLOB_BASE_COST × base_fee / GAS_PER_BLOB`
//!   (= base fee / 16) of the L1 block the batch landed in: the simulator's
//!   blob base fee sits at 1 wei while blob usage is below target, which
//!   would flatter the blob figures.
//! - **Attribution to kinds** ([`attribute`]) for a mixed workload: the
//!   batches' spend is shared among the kinds by the batch data bytes each
//!   kind takes (channels of the run's blocks restricted to that kind's
//!   transactions, same compression and encoding, same cuts), the output
//!   proposals' spend equally per transaction. The attributed spend of all
//!   kinds adds up to the measured total exactly.
//! - **Projection** ([`Pricing`]) to a data availability the run did not use,
//!   in gas at the L1 base fee: calldata at the EIP-7623 floor (40 gas per
//!   byte) plus the 21,000 base gas amortised over a full batch
//!   ([`rollup_batcher::MAX_BATCH_DATA_BYTES`]); blobs at the reserve price
//!   (1/16 of the base fee per blob gas, 131,072 blob gas per 126,972 bytes
//!   of payload) plus the blob transaction's gas amortised over a full
//!   six-blob batch; both plus the run's measured output proposal gas per
//!   transaction.

use super::workload::Kind;
use rollup_batcher::{BatchRecord, MAX_BATCH_DATA_BYTES, OutputRecord};
use rollup_protocol::batch::{BLOB_PAYLOAD_CAPACITY, FRAME_OVERHEAD, MAX_BLOB_FRAME_DATA};
use rollup_protocol::l1_blob::{
    BLOB_BASE_COST, GAS_PER_BLOB, MAX_BLOBS_PER_TX, blob_reserve_price,
};

/// EIP-7623 floor: gas per nonzero calldata byte.
pub(crate) const CALLDATA_FLOOR_GAS_PER_BYTE: f64 = 40.0;
/// Base gas of an L1 transaction.
pub(crate) const TX_BASE_GAS: f64 = 21_000.0;
/// Gas of a six-blob `appendBlobBatch` transaction, when the run posted no
/// blob batch to measure it on (measured on the simulator: 21,000 base,
/// calldata, the blob hashes read and the batch record stored).
pub(crate) const BLOB_BATCH_GAS_ESTIMATE: f64 = 100_000.0;

/// Batch data bytes posted for a channel of `channel_len` bytes: one frame
/// per blob (each blob's payload is a version byte and a frame), or frames
/// of at most [`MAX_BATCH_DATA_BYTES`] after one version byte in calldata.
pub(crate) fn posted_bytes(channel_len: usize, blobs: bool) -> usize {
    if blobs {
        channel_len + channel_len.div_ceil(MAX_BLOB_FRAME_DATA).max(1) * (1 + FRAME_OVERHEAD)
    } else {
        1 + channel_len + channel_len.div_ceil(MAX_BATCH_DATA_BYTES).max(1) * FRAME_OVERHEAD
    }
}

/// One batch's L1 spend, split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BatchSpend {
    /// Execution fee paid (gas used × effective gas price), wei.
    pub(crate) execution_wei: u128,
    /// Blob gas used.
    pub(crate) blob_gas: u64,
    /// Blob fee paid, wei.
    pub(crate) blob_paid_wei: u128,
    /// Blob fee at `max(paid blob base fee, EIP-7918 reserve price)`, wei.
    pub(crate) blob_reserve_wei: u128,
}

impl BatchSpend {
    /// The split of a recorded batch.
    pub(crate) fn of(b: &BatchRecord) -> Self {
        let blob_gas = b.blobs * GAS_PER_BLOB;
        let blob_paid_wei = u128::from(blob_gas) * b.blob_gas_price;
        let total: u128 = b.l1_fee_wei.saturating_to();
        let price = b.blob_gas_price.max(blob_reserve_price(b.l1_base_fee));
        Self {
            execution_wei: total.saturating_sub(blob_paid_wei),
            blob_gas,
            blob_paid_wei,
            blob_reserve_wei: u128::from(blob_gas) * price,
        }
    }
}

/// The rollup's L1 spend over the workload's range.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Spend {
    /// Batch transactions.
    pub(crate) batches: usize,
    /// Of which blob batches.
    pub(crate) blob_batches: usize,
    /// Blobs.
    pub(crate) blobs: u64,
    /// Batch data bytes posted.
    pub(crate) data_bytes: u64,
    /// Execution gas of the batches.
    pub(crate) batch_gas: u64,
    /// Execution fee of the batches, wei.
    pub(crate) batch_execution_wei: u128,
    /// Blob gas of the batches.
    pub(crate) blob_gas: u64,
    /// Blob fee paid, wei.
    pub(crate) blob_paid_wei: u128,
    /// Blob fee at the reserve price (or what was paid, if more), wei.
    pub(crate) blob_reserve_wei: u128,
    /// Output proposals.
    pub(crate) outputs: usize,
    /// Their gas.
    pub(crate) output_gas: u64,
    /// Their fee, wei (the bond is not a cost).
    pub(crate) output_wei: u128,
}

impl Spend {
    /// The spend of `batches` and `outputs`, from their receipts.
    pub(crate) fn of(batches: &[BatchRecord], outputs: &[OutputRecord]) -> Self {
        let mut s = Self { batches: batches.len(), outputs: outputs.len(), ..Self::default() };
        for b in batches {
            let split = BatchSpend::of(b);
            s.blob_batches += usize::from(b.blobs > 0);
            s.blobs += b.blobs;
            s.data_bytes += b.data_bytes;
            s.batch_gas += b.l1_gas_used;
            s.batch_execution_wei += split.execution_wei;
            s.blob_gas += split.blob_gas;
            s.blob_paid_wei += split.blob_paid_wei;
            s.blob_reserve_wei += split.blob_reserve_wei;
        }
        for o in outputs {
            s.output_gas += o.l1_gas_used;
            s.output_wei += o.l1_fee_wei.saturating_to::<u128>();
        }
        s
    }

    /// What the batches paid, wei.
    pub(crate) fn batch_paid_wei(&self) -> u128 {
        self.batch_execution_wei + self.blob_paid_wei
    }

    /// The batches with blob gas at the reserve price, wei.
    pub(crate) fn batch_reserve_wei(&self) -> u128 {
        self.batch_execution_wei + self.blob_reserve_wei
    }

    /// Everything paid, wei.
    pub(crate) fn paid_wei(&self) -> u128 {
        self.batch_paid_wei() + self.output_wei
    }

    /// Everything, blob gas at the reserve price, wei.
    pub(crate) fn reserve_wei(&self) -> u128 {
        self.batch_reserve_wei() + self.output_wei
    }

    /// The execution gas price paid on average (batches and outputs), wei
    /// per gas: the fee state an L1-direct transaction is priced at.
    pub(crate) fn gas_price(&self) -> f64 {
        (self.batch_execution_wei + self.output_wei) as f64
            / (self.batch_gas + self.output_gas).max(1) as f64
    }

    /// Mean gas of a blob batch transaction, if any was posted.
    pub(crate) fn blob_batch_gas(&self, batches: &[BatchRecord]) -> Option<f64> {
        let blob: Vec<_> = batches.iter().filter(|b| b.blobs > 0).collect();
        (!blob.is_empty())
            .then(|| blob.iter().map(|b| b.l1_gas_used as f64).sum::<f64>() / blob.len() as f64)
    }
}

/// What one kind of transaction took in the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct KindUsage {
    /// The kind.
    pub(crate) kind: Kind,
    /// Its transactions.
    pub(crate) txs: usize,
    /// Batch data bytes of the run's channels restricted to its transactions.
    pub(crate) bytes: u64,
}

/// The L1 spend attributed to one kind, per transaction of that kind, wei.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Attributed {
    /// Share of the batches, as paid.
    pub(crate) batch_paid: f64,
    /// Share of the batches, blob gas at the reserve price.
    pub(crate) batch_reserve: f64,
    /// Share of the output proposals.
    pub(crate) output: f64,
}

impl Attributed {
    /// Paid, per transaction.
    pub(crate) fn paid(&self) -> f64 {
        self.batch_paid + self.output
    }

    /// At the reserve blob price, per transaction.
    pub(crate) fn reserve(&self) -> f64 {
        self.batch_reserve + self.output
    }
}

/// Shares `spend` among `kinds`: batches by bytes, outputs per transaction.
pub(crate) fn attribute(spend: &Spend, kinds: &[KindUsage]) -> Vec<Attributed> {
    let bytes: u64 = kinds.iter().map(|k| k.bytes).sum();
    let txs: usize = kinds.iter().map(|k| k.txs).sum();
    kinds
        .iter()
        .map(|k| {
            let share = k.bytes as f64 / bytes.max(1) as f64;
            let n = k.txs.max(1) as f64;
            Attributed {
                batch_paid: spend.batch_paid_wei() as f64 * share / n,
                batch_reserve: spend.batch_reserve_wei() as f64 * share / n,
                output: spend.output_wei as f64 / txs.max(1) as f64,
            }
        })
        .collect()
}

/// The pricing model of projected per-transaction L1 cost, in gas at the
/// L1 base fee.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Pricing {
    /// Gas of a full blob batch transaction.
    pub(crate) blob_batch_gas: f64,
    /// Output proposal gas per transaction, measured.
    pub(crate) output_gas_per_tx: f64,
}

impl Pricing {
    /// Gas per transaction carrying `bytes` of batch data in full calldata
    /// batches: the EIP-7623 floor and the base gas amortised.
    pub(crate) fn calldata_gas(&self, bytes: f64) -> f64 {
        bytes * (CALLDATA_FLOOR_GAS_PER_BYTE + TX_BASE_GAS / MAX_BATCH_DATA_BYTES as f64)
            + self.output_gas_per_tx
    }

    /// Gas-equivalent per transaction carrying `bytes` of batch data in full
    /// six-blob batches, blob gas at the reserve price (base fee / 16).
    pub(crate) fn blob_gas(&self, bytes: f64) -> f64 {
        let full = (MAX_BLOBS_PER_TX as usize * BLOB_PAYLOAD_CAPACITY) as f64;
        let reserve = BLOB_BASE_COST as f64 / GAS_PER_BLOB as f64;
        let blob_gas_per_byte = GAS_PER_BLOB as f64 / BLOB_PAYLOAD_CAPACITY as f64;
        bytes * (blob_gas_per_byte * reserve + self.blob_batch_gas / full) + self.output_gas_per_tx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, U256};
    use rollup_protocol::batch::Compression;

    fn batch(start: u64, gas: u64, gas_price: u128, blobs: u64, blob_price: u128) -> BatchRecord {
        let fee = u128::from(gas) * gas_price + u128::from(blobs * GAS_PER_BLOB) * blob_price;
        BatchRecord {
            l2_start: start,
            l2_end: start + 9,
            l1_tx_hash: B256::ZERO,
            l1_block: 1,
            compression: Compression::Brotli,
            data_bytes: 100_000,
            raw_tx_bytes: 200_000,
            l1_gas_used: gas,
            l1_fee_wei: U256::from(fee),
            blobs,
            l1_base_fee: 1_600_000_000,
            blob_gas_price: if blobs > 0 { blob_price } else { 0 },
        }
    }

    fn output(gas: u64, price: u128) -> OutputRecord {
        OutputRecord {
            l2_block: 40,
            output_root: B256::ZERO,
            l1_tx_hash: B256::ZERO,
            l1_block: 2,
            l1_gas_used: gas,
            l1_fee_wei: U256::from(u128::from(gas) * price),
        }
    }

    #[test]
    fn blob_gas_is_repriced_at_the_reserve_only_when_paid_below_it() {
        // Base fee 1.6 gwei: reserve 0.1 gwei per blob gas.
        let cheap = BatchSpend::of(&batch(0, 90_000, 1_700_000_000, 6, 1));
        assert_eq!(cheap.blob_gas, 6 * 131_072);
        assert_eq!(cheap.execution_wei, 90_000 * 1_700_000_000);
        assert_eq!(cheap.blob_paid_wei, 6 * 131_072);
        assert_eq!(cheap.blob_reserve_wei, 6 * 131_072 * 100_000_000);
        let dear = BatchSpend::of(&batch(0, 90_000, 1_700_000_000, 2, 300_000_000));
        assert_eq!(dear.blob_reserve_wei, dear.blob_paid_wei, "paid above the reserve");
        let calldata = BatchSpend::of(&batch(0, 2_000_000, 1_700_000_000, 0, 0));
        assert_eq!((calldata.blob_gas, calldata.blob_reserve_wei), (0, 0));
        assert_eq!(calldata.execution_wei, 2_000_000 * 1_700_000_000);
    }

    #[test]
    fn attributed_spend_adds_up_to_what_the_receipts_paid() {
        let batches = [
            batch(0, 2_000_000, 1_700_000_000, 0, 0),
            batch(10, 95_000, 1_650_000_000, 6, 1),
            batch(20, 80_000, 1_800_000_000, 3, 7),
        ];
        let outputs = [output(120_000, 1_700_000_000)];
        let spend = Spend::of(&batches, &outputs);
        let receipts: u128 =
            batches.iter().map(|b| b.l1_fee_wei.saturating_to::<u128>()).sum::<u128>()
                + outputs[0].l1_fee_wei.saturating_to::<u128>();
        assert_eq!(spend.paid_wei(), receipts);
        assert!(spend.reserve_wei() > spend.paid_wei());
        let kinds = [
            KindUsage { kind: Kind::Transfer, txs: 5_000, bytes: 300_000 },
            KindUsage { kind: Kind::Erc20, txs: 3_000, bytes: 250_000 },
            KindUsage { kind: Kind::Swap, txs: 2_000, bytes: 260_000 },
        ];
        let shares = attribute(&spend, &kinds);
        let total = |f: fn(&Attributed) -> f64| -> f64 {
            kinds.iter().zip(&shares).map(|(k, a)| f(a) * k.txs as f64).sum()
        };
        let close = |a: f64, b: u128| (a - b as f64).abs() <= 1e-9 * b as f64;
        assert!(close(total(Attributed::paid), spend.paid_wei()));
        assert!(close(total(Attributed::reserve), spend.reserve_wei()));
        // A transfer takes fewer bytes than a swap, so less of the batches.
        assert!(shares[0].batch_paid < shares[2].batch_paid);
        assert_eq!(shares[0].output, shares[2].output);
        // One kind alone: the per-transaction spend is the total over the count.
        let alone = attribute(&spend, &kinds[..1]);
        assert!(close(alone[0].paid() * 5_000.0, spend.paid_wei()));
    }

    #[test]
    fn projections_price_calldata_at_the_floor_and_blobs_at_the_reserve() {
        let p = Pricing { blob_batch_gas: 100_000.0, output_gas_per_tx: 5.0 };
        // 75 bytes in calldata: 40 gas a byte and the base gas amortised.
        let calldata = p.calldata_gas(75.0);
        assert!((calldata - (75.0 * (40.0 + 0.175) + 5.0)).abs() < 1e-9);
        assert!(21_000.0 / calldata < 7.0, "75 B of calldata is just short of 7x");
        // In blobs: ~0.0645 gas a byte at the reserve, plus the blob
        // transaction amortised over 6 × 126,972 bytes.
        let blob = p.blob_gas(75.0);
        let expected = 75.0 * (131_072.0 / 126_972.0 / 16.0 + 100_000.0 / 761_832.0) + 5.0;
        assert!((blob - expected).abs() < 1e-9, "{blob} vs {expected}");
        assert!(21_000.0 / blob > 1_000.0);
    }

    #[test]
    fn posted_bytes_count_the_framing() {
        assert_eq!(posted_bytes(1_000, false), 1 + 1_000 + 23);
        assert_eq!(posted_bytes(1_000, true), 1_000 + 24);
        assert_eq!(
            posted_bytes(2 * MAX_BLOB_FRAME_DATA + 1, true),
            2 * MAX_BLOB_FRAME_DATA + 1 + 3 * 24
        );
        assert_eq!(posted_bytes(0, false), 24);
    }
}
