//! Durable storage of a chain (blocks, receipts, world state) through sqlx.
//!
//! A block and the state changes it made are written in one database
//! transaction; the node makes a block visible only after that commit, so
//! whatever the node has answered survives a crash. On start the node loads
//! the blocks and the head state back.
//!
//! The blob sidecars of a block (L1 only) are written in the same database
//! transaction as the block (table `blob_sidecars`, one row per blob, keyed
//! by block number and blob index, indexed by versioned hash). They are not
//! loaded at start: readers fetch them from the database on demand.

use crate::{
    StoredBlock,
    blob::StoredBlob,
    db::{DbError, SchemaMigration, connect},
};
use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256};
use rollup_protocol::{AccountRecord, MemoryState, StateChanges};
use sqlx::{AnyPool, Row};

const MIGRATIONS: &[SchemaMigration] = &[
    SchemaMigration {
        version: 1,
        description: "chain",
        sqlite: include_str!("../migrations/0001_chain.sqlite.sql"),
        postgres: include_str!("../migrations/0001_chain.postgres.sql"),
    },
    SchemaMigration {
        version: 2,
        description: "blob sidecars",
        sqlite: include_str!("../migrations/0002_blobs.sqlite.sql"),
        postgres: include_str!("../migrations/0002_blobs.postgres.sql"),
    },
];

const BLOB_COLUMNS: &str =
    "block_number, blob_index, versioned_hash, tx_hash, commitment, proof, data";

/// The persistent store of one chain.
#[derive(Clone, Debug)]
pub struct ChainStore {
    pool: AnyPool,
}

impl ChainStore {
    /// Opens (and migrates) the store at `url`; `namespace` names the
    /// PostgreSQL schema (e.g. `l1`, `l2`).
    pub async fn open(url: &str, namespace: &str) -> Result<Self, DbError> {
        Ok(Self { pool: connect(url, namespace, MIGRATIONS).await? })
    }

    /// Writes `block` and the state `changes` it made, atomically.
    pub async fn append_block(
        &self,
        block: &StoredBlock,
        changes: &StateChanges,
    ) -> Result<(), DbError> {
        self.append_block_with_blobs(block, changes, &[]).await
    }

    /// Writes `block`, the state `changes` it made and the `blobs` its
    /// transactions carried, atomically.
    pub async fn append_block_with_blobs(
        &self,
        block: &StoredBlock,
        changes: &StateChanges,
        blobs: &[StoredBlob],
    ) -> Result<(), DbError> {
        let body = serde_json::to_vec(block).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO blocks (number, hash, body) VALUES ($1, $2, $3)")
            .bind(block.number() as i64)
            .bind(block.hash.to_vec())
            .bind(body)
            .execute(&mut *tx)
            .await?;
        for blob in blobs {
            sqlx::query(&format!(
                "INSERT INTO blob_sidecars ({BLOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ))
            .bind(blob.block_number as i64)
            .bind(blob.index as i64)
            .bind(blob.versioned_hash.to_vec())
            .bind(blob.tx_hash.to_vec())
            .bind(blob.commitment.to_vec())
            .bind(blob.proof.to_vec())
            .bind(blob.blob.to_vec())
            .execute(&mut *tx)
            .await?;
        }
        write_changes(&mut tx, changes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The blobs of block `number`, in index order (empty if it has none).
    pub async fn blobs(&self, number: u64) -> Result<Vec<StoredBlob>, DbError> {
        let rows = sqlx::query(&format!(
            "SELECT {BLOB_COLUMNS} FROM blob_sidecars WHERE block_number = $1 ORDER BY blob_index"
        ))
        .bind(number as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(blob_row).collect()
    }

    /// The blob of block `number` with versioned hash `hash` (the first, if
    /// the block carries it twice).
    pub async fn blob(&self, number: u64, hash: B256) -> Result<Option<StoredBlob>, DbError> {
        let row = sqlx::query(&format!(
            "SELECT {BLOB_COLUMNS} FROM blob_sidecars WHERE block_number = $1 \
             AND versioned_hash = $2 ORDER BY blob_index LIMIT 1"
        ))
        .bind(number as i64)
        .bind(hash.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(blob_row).transpose()
    }

    /// Applies state changes made outside a block (dev methods such as
    /// `anvil_setBalance`).
    pub async fn write_state(&self, changes: &StateChanges) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        write_changes(&mut tx, changes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the whole stored chain above `number` and the whole state
    /// (used by `evm_revert`).
    pub async fn reset_to(&self, number: u64, state: &MemoryState) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM blocks WHERE number > $1")
            .bind(number as i64)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM blob_sidecars WHERE block_number > $1")
            .bind(number as i64)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM accounts").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM storage").execute(&mut *tx).await?;
        let mut full = StateChanges::default();
        for (address, acc) in state.accounts() {
            full.accounts.push((
                *address,
                Some(AccountRecord {
                    nonce: acc.nonce,
                    balance: acc.balance,
                    code_hash: acc.code_hash,
                }),
            ));
            for (slot, value) in &acc.storage {
                full.storage.push((*address, *slot, *value));
            }
            if let Some(code) = state.code_by_hash(&acc.code_hash) {
                full.codes.push((acc.code_hash, code.clone()));
            }
        }
        write_changes(&mut tx, &full).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Loads every block (genesis first) and the head state.
    pub async fn load(&self) -> Result<(Vec<StoredBlock>, MemoryState), DbError> {
        let rows = sqlx::query("SELECT number, body FROM blocks ORDER BY number")
            .fetch_all(&self.pool)
            .await?;
        let mut blocks = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let number: i64 = row.try_get(0)?;
            if number != i as i64 {
                return Err(DbError::Corrupt(format!("block {i} missing (found {number})")));
            }
            let body: Vec<u8> = row.try_get(1)?;
            blocks.push(
                serde_json::from_slice::<StoredBlock>(&body)
                    .map_err(|e| DbError::Corrupt(format!("block {number}: {e}")))?,
            );
        }
        let mut state = MemoryState::new();
        for row in sqlx::query("SELECT address, nonce, balance, code_hash FROM accounts")
            .fetch_all(&self.pool)
            .await?
        {
            state.load_account(
                address(&row.try_get::<Vec<u8>, _>(0)?)?,
                row.try_get::<i64, _>(1)? as u64,
                word(&row.try_get::<Vec<u8>, _>(2)?)?,
                B256::from(word(&row.try_get::<Vec<u8>, _>(3)?)?),
            );
        }
        for row in
            sqlx::query("SELECT address, slot, value FROM storage").fetch_all(&self.pool).await?
        {
            state.load_storage(
                address(&row.try_get::<Vec<u8>, _>(0)?)?,
                word(&row.try_get::<Vec<u8>, _>(1)?)?,
                word(&row.try_get::<Vec<u8>, _>(2)?)?,
            );
        }
        for row in sqlx::query("SELECT code FROM codes").fetch_all(&self.pool).await? {
            state.load_code(Bytes::from(row.try_get::<Vec<u8>, _>(0)?));
        }
        Ok((blocks, state))
    }
}

async fn write_changes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    changes: &StateChanges,
) -> Result<(), DbError> {
    for (hash, code) in &changes.codes {
        sqlx::query("INSERT INTO codes (hash, code) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING")
            .bind(hash.to_vec())
            .bind(code.to_vec())
            .execute(&mut **tx)
            .await?;
    }
    for address in &changes.wiped {
        sqlx::query("DELETE FROM storage WHERE address = $1")
            .bind(address.to_vec())
            .execute(&mut **tx)
            .await?;
    }
    for (address, account) in &changes.accounts {
        match account {
            Some(AccountRecord { nonce, balance, code_hash }) => {
                sqlx::query(
                    "INSERT INTO accounts (address, nonce, balance, code_hash) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (address) DO UPDATE SET nonce = excluded.nonce, \
                     balance = excluded.balance, code_hash = excluded.code_hash",
                )
                .bind(address.to_vec())
                .bind(*nonce as i64)
                .bind(balance.to_be_bytes::<32>().to_vec())
                .bind(code_hash.to_vec())
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM accounts WHERE address = $1")
                    .bind(address.to_vec())
                    .execute(&mut **tx)
                    .await?;
                sqlx::query("DELETE FROM storage WHERE address = $1")
                    .bind(address.to_vec())
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    for (address, slot, value) in &changes.storage {
        if value.is_zero() {
            sqlx::query("DELETE FROM storage WHERE address = $1 AND slot = $2")
                .bind(address.to_vec())
                .bind(slot.to_be_bytes::<32>().to_vec())
                .execute(&mut **tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO storage (address, slot, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (address, slot) DO UPDATE SET value = excluded.value",
            )
            .bind(address.to_vec())
            .bind(slot.to_be_bytes::<32>().to_vec())
            .bind(value.to_be_bytes::<32>().to_vec())
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

fn blob_row(row: &sqlx::any::AnyRow) -> Result<StoredBlob, DbError> {
    let bytes = |i: usize| row.try_get::<Vec<u8>, _>(i);
    let fixed48 = |b: Vec<u8>| {
        FixedBytes::<48>::try_from(b.as_slice())
            .map_err(|_| DbError::Corrupt("bad KZG commitment or proof".into()))
    };
    let hash = |b: Vec<u8>| {
        B256::try_from(b.as_slice()).map_err(|_| DbError::Corrupt("bad blob hash".into()))
    };
    Ok(StoredBlob {
        block_number: row.try_get::<i64, _>(0)? as u64,
        index: row.try_get::<i64, _>(1)? as u64,
        versioned_hash: hash(bytes(2)?)?,
        tx_hash: hash(bytes(3)?)?,
        commitment: fixed48(bytes(4)?)?,
        proof: fixed48(bytes(5)?)?,
        blob: Bytes::from(bytes(6)?),
    })
}

fn address(bytes: &[u8]) -> Result<Address, DbError> {
    Address::try_from(bytes).map_err(|_| DbError::Corrupt("bad address".into()))
}

fn word(bytes: &[u8]) -> Result<U256, DbError> {
    U256::try_from_be_slice(bytes).ok_or_else(|| DbError::Corrupt("bad word".into()))
}
