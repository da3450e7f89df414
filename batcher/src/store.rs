//! What the batcher posted, with its L1 cost, for the API and the fee
//! benchmark. The L1 itself is the source of truth for resuming.

use alloy_primitives::{B256, U256};
use rollup_db::{DbError, SchemaMigration, connect};
use rollup_protocol::batch::Compression;
use sqlx::{AnyPool, Row};

const MIGRATIONS: &[SchemaMigration] = &[
    SchemaMigration {
        version: 1,
        description: "batcher",
        sqlite: include_str!("../migrations/0001_batcher.sqlite.sql"),
        postgres: include_str!("../migrations/0001_batcher.postgres.sql"),
    },
    SchemaMigration {
        version: 2,
        description: "blob batches",
        sqlite: "ALTER TABLE batches ADD COLUMN blobs BIGINT NOT NULL DEFAULT 0;",
        postgres: "ALTER TABLE batches ADD COLUMN blobs BIGINT NOT NULL DEFAULT 0;",
    },
    SchemaMigration {
        version: 3,
        description: "L1 base fee and blob gas price of batches",
        sqlite: "ALTER TABLE batches ADD COLUMN l1_base_fee BIGINT NOT NULL DEFAULT 0; \
                 ALTER TABLE batches ADD COLUMN blob_gas_price BLOB NOT NULL DEFAULT x'';",
        postgres: "ALTER TABLE batches ADD COLUMN l1_base_fee BIGINT NOT NULL DEFAULT 0; \
                   ALTER TABLE batches ADD COLUMN blob_gas_price BYTEA NOT NULL DEFAULT '\\x';",
    },
];

/// A posted batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRecord {
    /// First L2 block.
    pub l2_start: u64,
    /// Last L2 block.
    pub l2_end: u64,
    /// L1 transaction.
    pub l1_tx_hash: B256,
    /// L1 block it was included in.
    pub l1_block: u64,
    /// Compression of the channel.
    pub compression: Compression,
    /// Batch data posted, in bytes: the calldata `data` (version byte and
    /// frames), or for blobs the payload of every blob (its version byte and
    /// frame), not the 131,072 bytes of each blob.
    pub data_bytes: u64,
    /// Sum of the raw signed transactions it carries, in bytes.
    pub raw_tx_bytes: u64,
    /// L1 gas used.
    pub l1_gas_used: u64,
    /// L1 fee paid (execution and blob gas), in wei.
    pub l1_fee_wei: U256,
    /// Blobs carrying it (0 for calldata).
    pub blobs: u64,
    /// Base fee of the L1 block it was included in, wei per gas.
    pub l1_base_fee: u64,
    /// Blob base fee it paid, wei per blob gas (0 for calldata).
    pub blob_gas_price: u128,
}

/// A proposed output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputRecord {
    /// L2 block.
    pub l2_block: u64,
    /// Output root proposed.
    pub output_root: B256,
    /// L1 transaction.
    pub l1_tx_hash: B256,
    /// L1 block.
    pub l1_block: u64,
    /// L1 gas used.
    pub l1_gas_used: u64,
    /// L1 fee paid (bond excluded), in wei.
    pub l1_fee_wei: U256,
}

/// The batcher's database.
#[derive(Clone, Debug)]
pub struct BatcherStore {
    pool: AnyPool,
}

impl BatcherStore {
    /// Opens (and migrates) the store.
    pub async fn open(url: &str) -> Result<Self, DbError> {
        Ok(Self { pool: connect(url, "batcher", MIGRATIONS).await? })
    }

    /// Records a batch (idempotent on its start block).
    pub async fn insert_batch(&self, b: &BatchRecord) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO batches (l2_start, l2_end, l1_tx_hash, l1_block, compression, data_bytes, raw_tx_bytes, l1_gas_used, l1_fee_wei, blobs, l1_base_fee, blob_gas_price) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (l2_start) DO NOTHING",
        )
        .bind(b.l2_start as i64)
        .bind(b.l2_end as i64)
        .bind(b.l1_tx_hash.to_vec())
        .bind(b.l1_block as i64)
        .bind(b.compression.to_string())
        .bind(b.data_bytes as i64)
        .bind(b.raw_tx_bytes as i64)
        .bind(b.l1_gas_used as i64)
        .bind(b.l1_fee_wei.to_be_bytes::<32>().to_vec())
        .bind(b.blobs as i64)
        .bind(b.l1_base_fee as i64)
        .bind(U256::from(b.blob_gas_price).to_be_bytes::<32>().to_vec())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records an output (idempotent on its block).
    pub async fn insert_output(&self, o: &OutputRecord) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO outputs (l2_block, output_root, l1_tx_hash, l1_block, l1_gas_used, l1_fee_wei) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (l2_block) DO NOTHING",
        )
        .bind(o.l2_block as i64)
        .bind(o.output_root.to_vec())
        .bind(o.l1_tx_hash.to_vec())
        .bind(o.l1_block as i64)
        .bind(o.l1_gas_used as i64)
        .bind(o.l1_fee_wei.to_be_bytes::<32>().to_vec())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every posted batch, oldest first.
    pub async fn batches(&self) -> Result<Vec<BatchRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT l2_start, l2_end, l1_tx_hash, l1_block, compression, data_bytes, raw_tx_bytes, l1_gas_used, l1_fee_wei, blobs, l1_base_fee, blob_gas_price \
             FROM batches ORDER BY l2_start",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BatchRecord {
                    l2_start: r.try_get::<i64, _>(0)? as u64,
                    l2_end: r.try_get::<i64, _>(1)? as u64,
                    l1_tx_hash: B256::try_from(r.try_get::<Vec<u8>, _>(2)?.as_slice())
                        .map_err(|e| DbError::Corrupt(e.to_string()))?,
                    l1_block: r.try_get::<i64, _>(3)? as u64,
                    compression: r.try_get::<String, _>(4)?.parse().map_err(
                        |e: rollup_protocol::batch::BatchError| DbError::Corrupt(e.to_string()),
                    )?,
                    data_bytes: r.try_get::<i64, _>(5)? as u64,
                    raw_tx_bytes: r.try_get::<i64, _>(6)? as u64,
                    l1_gas_used: r.try_get::<i64, _>(7)? as u64,
                    l1_fee_wei: U256::try_from_be_slice(&r.try_get::<Vec<u8>, _>(8)?)
                        .ok_or_else(|| DbError::Corrupt("fee".into()))?,
                    blobs: r.try_get::<i64, _>(9)? as u64,
                    l1_base_fee: r.try_get::<i64, _>(10)? as u64,
                    // Empty for rows written before the column existed.
                    blob_gas_price: U256::try_from_be_slice(&r.try_get::<Vec<u8>, _>(11)?)
                        .map_or(0, |p| p.saturating_to()),
                })
            })
            .collect()
    }

    /// Every proposed output, oldest first.
    pub async fn outputs(&self) -> Result<Vec<OutputRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT l2_block, output_root, l1_tx_hash, l1_block, l1_gas_used, l1_fee_wei FROM outputs ORDER BY l2_block",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let hash = |i: usize| -> Result<B256, DbError> {
                    B256::try_from(r.try_get::<Vec<u8>, _>(i)?.as_slice())
                        .map_err(|e| DbError::Corrupt(e.to_string()))
                };
                Ok(OutputRecord {
                    l2_block: r.try_get::<i64, _>(0)? as u64,
                    output_root: hash(1)?,
                    l1_tx_hash: hash(2)?,
                    l1_block: r.try_get::<i64, _>(3)? as u64,
                    l1_gas_used: r.try_get::<i64, _>(4)? as u64,
                    l1_fee_wei: U256::try_from_be_slice(&r.try_get::<Vec<u8>, _>(5)?)
                        .ok_or_else(|| DbError::Corrupt("fee".into()))?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn batches_keep_their_l1_base_fee_and_blob_gas_price() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            BatcherStore::open(&rollup_db::sqlite_url(dir.path(), "batcher.db")).await.unwrap();
        let batch = BatchRecord {
            l2_start: 1,
            l2_end: 9,
            l1_tx_hash: B256::repeat_byte(7),
            l1_block: 12,
            compression: Compression::Brotli,
            data_bytes: 761_000,
            raw_tx_bytes: 1_600_000,
            l1_gas_used: 80_000,
            l1_fee_wei: U256::from(123_456_789u64),
            blobs: 6,
            l1_base_fee: 100_000_000,
            blob_gas_price: u128::from(u64::MAX) + 5,
        };
        store.insert_batch(&batch).await.unwrap();
        assert_eq!(store.batches().await.unwrap(), vec![batch]);
    }
}
