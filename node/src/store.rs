//! Durable storage of a chain (blocks, receipts, world state) through sqlx.
//!
//! A block and the state changes it made are written in one database
//! transaction; the node makes a block visible only after that commit, so
//! whatever the node has answered survives a crash. On start the node loads
//! the blocks and the head state back.
//!
//! Every block is written with its changeset (the previous value of every
//! account and slot it changed; tables `account_changesets` and
//! `storage_changesets`, as reth's `AccountChangeSets`/`StorageChangeSets`)
//! in the same database transaction. Changes made outside a block (dev
//! methods) are recorded under the next block's number, marked `dev` (so
//! the state a block's transactions ran on, [`ChainStore::changes_before`],
//! includes them). The changesets
//! after block `n`, folded to the first row per key, are the difference
//! between the head state and the state at `n`: [`ChainStore::changes_after`]
//! reads them for historical state, [`ChainStore::unwind`] applies them to
//! roll the chain back atomically.
//!
//! The blob sidecars of a block (L1 only) are written in the same database
//! transaction as the block (table `blob_sidecars`, one row per blob, keyed
//! by block number and blob index, indexed by versioned hash). They are not
//! loaded at start: readers fetch them from the database on demand.

use crate::{
    StoredBlock, TxLocation,
    blob::StoredBlob,
    db::{DbError, SchemaMigration, connect, is_postgres},
};
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256};
use rollup_protocol::{AccountRecord, Changeset, MemoryState, StateChanges};
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
    SchemaMigration {
        version: 3,
        description: "changesets",
        sqlite: include_str!("../migrations/0003_changesets.sqlite.sql"),
        postgres: include_str!("../migrations/0003_changesets.postgres.sql"),
    },
    SchemaMigration {
        version: 4,
        description: "changeset rows of dev methods",
        sqlite: include_str!("../migrations/0004_changeset_dev.sqlite.sql"),
        postgres: include_str!("../migrations/0004_changeset_dev.postgres.sql"),
    },
    SchemaMigration {
        version: 5,
        description: "block and transaction index",
        sqlite: include_str!("../migrations/0005_block_index.sqlite.sql"),
        postgres: include_str!("../migrations/0005_block_index.postgres.sql"),
    },
];

/// A position in the changeset tables (the last row ids): what was
/// written after it is what a revert to it undoes (`evm_snapshot`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangesetMark {
    accounts: i64,
    storage: i64,
}

/// Which changeset rows an unwind or a historical read folds.
#[derive(Clone, Copy, Debug)]
enum Since {
    /// Rows of blocks after this number.
    Block(u64),
    /// The rows of this block's transactions and of later blocks (not the
    /// dev-method rows recorded under this block's number).
    BlockTxs(u64),
    /// Rows written after this mark.
    Mark(ChangesetMark),
}

const BLOB_COLUMNS: &str =
    "block_number, blob_index, versioned_hash, tx_hash, commitment, proof, data";

/// The persistent store of one chain.
#[derive(Clone, Debug)]
pub struct ChainStore {
    pool: AnyPool,
    /// SQLite (accounts are read in packed chunks at start) or PostgreSQL.
    sqlite: bool,
}

impl ChainStore {
    /// Opens (and migrates) the store at `url`; `namespace` names the
    /// PostgreSQL schema (e.g. `l1`, `l2`).
    pub async fn open(url: &str, namespace: &str) -> Result<Self, DbError> {
        let store =
            Self { pool: connect(url, namespace, MIGRATIONS).await?, sqlite: !is_postgres(url) };
        store.fill_tx_index().await?;
        Ok(store)
    }

    /// Fills the transaction index from the stored blocks, once, for a store
    /// written before the index existed (meta key `tx_index`).
    async fn fill_tx_index(&self) -> Result<(), DbError> {
        if self.meta("tx_index").await?.is_some() {
            return Ok(());
        }
        // Chunk by chunk (each in its own transaction; rows are upserts, so
        // an interrupted fill is simply redone), then the mark.
        if let Some(head) = self.head_number().await? {
            let mut from = 0;
            while from <= head {
                let to = head.min(from + 255);
                let blocks = self.blocks(from, to).await?;
                let mut tx = self.pool.begin().await?;
                for block in &blocks {
                    write_tx_index(&mut tx, block).await?;
                }
                tx.commit().await?;
                from = to + 1;
            }
        }
        self.set_meta("tx_index", &[1]).await?;
        Ok(())
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
        let body = crate::codec::encode_block(block);
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
        write_tx_index(&mut tx, block).await?;
        write_changes(&mut tx, changes).await?;
        write_changeset(&mut tx, block.number(), &changes.previous, false).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The number of the head block, if any block is stored.
    pub async fn head_number(&self) -> Result<Option<u64>, DbError> {
        let head: Option<i64> = sqlx::query("SELECT MAX(number) FROM blocks")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(head.map(|h| h as u64))
    }

    /// Block `number`, if stored.
    pub async fn block(&self, number: u64) -> Result<Option<StoredBlock>, DbError> {
        let row = sqlx::query("SELECT body FROM blocks WHERE number = $1")
            .bind(number as i64)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| decode_body(number, &row.try_get::<Vec<u8>, _>(0)?)).transpose()
    }

    /// Blocks `from..=to` that are stored, in order.
    pub async fn blocks(&self, from: u64, to: u64) -> Result<Vec<StoredBlock>, DbError> {
        let rows = sqlx::query(
            "SELECT number, body FROM blocks WHERE number >= $1 AND number <= $2 ORDER BY number",
        )
        .bind(from as i64)
        .bind(to as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                decode_body(row.try_get::<i64, _>(0)? as u64, &row.try_get::<Vec<u8>, _>(1)?)
            })
            .collect()
    }

    /// The number of the block with `hash`, if stored.
    pub async fn block_number(&self, hash: &B256) -> Result<Option<u64>, DbError> {
        let row = sqlx::query("SELECT number FROM blocks WHERE hash = $1")
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?.map(|n| n as u64))
    }

    /// Where the transaction with `hash` sits, if it is in a stored block.
    pub async fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>, DbError> {
        let row = sqlx::query("SELECT block_number, tx_index FROM transactions WHERE hash = $1")
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(TxLocation {
                block: r.try_get::<i64, _>(0)? as u64,
                index: r.try_get::<i64, _>(1)? as usize,
            })
        })
        .transpose()
    }

    /// The hashes of the stored blocks `from..=to`, by number.
    pub async fn block_hashes(&self, from: u64, to: u64) -> Result<Vec<(u64, B256)>, DbError> {
        let rows = sqlx::query(
            "SELECT number, hash FROM blocks WHERE number >= $1 AND number <= $2 ORDER BY number",
        )
        .bind(from as i64)
        .bind(to as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let number = row.try_get::<i64, _>(0)? as u64;
                let hash = B256::try_from(row.try_get::<Vec<u8>, _>(1)?.as_slice())
                    .map_err(|_| DbError::Corrupt(format!("block {number}: bad hash")))?;
                Ok((number, hash))
            })
            .collect()
    }

    /// The tip of the stored chain: the hashes of the last `hashes` blocks
    /// and the last `blocks` blocks (both ascending, ending at the head;
    /// empty when nothing is stored).
    pub async fn tip(
        &self,
        hashes: usize,
        blocks: usize,
    ) -> Result<(Vec<B256>, Vec<StoredBlock>), DbError> {
        let Some(head) = self.head_number().await? else { return Ok((vec![], vec![])) };
        let first_hash = (head + 1).saturating_sub(hashes as u64);
        let mut tip = Vec::with_capacity(hashes);
        for (i, (number, hash)) in
            self.block_hashes(first_hash, head).await?.into_iter().enumerate()
        {
            if number != first_hash + i as u64 {
                return Err(DbError::Corrupt(format!(
                    "block {} missing (found {number})",
                    first_hash + i as u64
                )));
            }
            tip.push(hash);
        }
        let recent = self.blocks((head + 1).saturating_sub(blocks as u64), head).await?;
        Ok((tip, recent))
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
    /// Their previous values go into the changeset of the next block.
    pub async fn write_state(&self, changes: &StateChanges) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        write_changes(&mut tx, changes).await?;
        let head: Option<i64> =
            sqlx::query("SELECT MAX(number) FROM blocks").fetch_one(&mut *tx).await?.try_get(0)?;
        let next = head.map_or(0, |h| h as u64 + 1);
        write_changeset(&mut tx, next, &changes.previous, true).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The current end of the changeset tables.
    pub async fn changeset_mark(&self) -> Result<ChangesetMark, DbError> {
        let max = |table: &'static str| async move {
            let row = sqlx::query(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
                .fetch_one(&self.pool)
                .await?;
            Ok::<i64, DbError>(row.try_get(0)?)
        };
        Ok(ChangesetMark {
            accounts: max("account_changesets").await?,
            storage: max("storage_changesets").await?,
        })
    }

    /// What must be put back on the head state to get the state at block
    /// `number`: per account and slot changed after `number`, the value it
    /// had at `number` (the first changeset row after it). Costs
    /// O(changes since `number`).
    pub async fn changes_after(&self, number: u64) -> Result<Changeset, DbError> {
        let mut conn = self.pool.acquire().await?;
        fold_changesets(&mut conn, Since::Block(number)).await
    }

    /// The changes made by the transactions of block `number` and every
    /// later block, folded as [`Self::changes_after`] folds them: undone
    /// from the head state, they give the state block `number`'s
    /// transactions ran on (its parent's, with the dev-method changes made
    /// before it).
    pub async fn changes_before(&self, number: u64) -> Result<Changeset, DbError> {
        let mut conn = self.pool.acquire().await?;
        fold_changesets(&mut conn, Since::BlockTxs(number)).await
    }

    /// The lowest block whose state can be rebuilt from the changesets
    /// (older ones were pruned), if any were.
    pub async fn history_floor(&self) -> Result<u64, DbError> {
        Ok(self
            .meta("history_floor")
            .await?
            .and_then(|v| v.try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(0))
    }

    /// Drops the changesets of blocks up to `number` (their states become
    /// unavailable): `--history-blocks`.
    pub async fn prune_history(&self, number: u64) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        for table in ["account_changesets", "storage_changesets"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE block_number <= $1"))
                .bind(number as i64)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind("history_floor".to_string())
        .bind(number.to_be_bytes().to_vec())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rolls the stored chain back to block `number`, in one database
    /// transaction: restores every account and slot changed after it (by
    /// the changesets of later blocks, or, with `mark`, by the changeset
    /// rows written after the mark), deletes the later blocks, their blob
    /// sidecars and changesets. Returns what it restored, for the in-memory
    /// state.
    pub async fn unwind(
        &self,
        number: u64,
        mark: Option<ChangesetMark>,
    ) -> Result<Changeset, DbError> {
        let since = mark.map_or(Since::Block(number), Since::Mark);
        let mut tx = self.pool.begin().await?;
        let restore = fold_changesets(&mut tx, since).await?;
        let changes = StateChanges {
            accounts: restore.accounts.clone(),
            storage: restore.storage.clone(),
            ..Default::default()
        };
        write_changes(&mut tx, &changes).await?;
        for (table, column) in [
            ("blocks", "number"),
            ("blob_sidecars", "block_number"),
            ("transactions", "block_number"),
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE {column} > $1"))
                .bind(number as i64)
                .execute(&mut *tx)
                .await?;
        }
        for (table, mark) in [
            ("account_changesets", mark.map(|m| m.accounts)),
            ("storage_changesets", mark.map(|m| m.storage)),
        ] {
            let (filter, bound) = match mark {
                Some(id) => ("id", id),
                None => ("block_number", number as i64),
            };
            sqlx::query(&format!("DELETE FROM {table} WHERE {filter} > $1"))
                .bind(bound)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(restore)
    }

    /// Loads the tip of the chain ([`Self::tip`]: the hashes of the last
    /// `hashes` blocks and the last `blocks` blocks) and the head state.
    /// Reads no older history.
    pub async fn load(
        &self,
        hashes: usize,
        blocks: usize,
    ) -> Result<(Vec<B256>, Vec<StoredBlock>, MemoryState), DbError> {
        use futures::TryStreamExt;
        let (hashes, blocks) = self.tip(hashes, blocks).await?;
        let mut state = MemoryState::new();
        // Sized once: no rehashing of a growing map.
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await?;
        state.reserve_accounts(usize::try_from(count).unwrap_or(0));
        if self.sqlite {
            self.load_accounts_packed(&mut state).await?;
        } else {
            let mut rows = sqlx::query("SELECT address, nonce, balance, code_hash FROM accounts")
                .fetch(&self.pool);
            while let Some(row) = rows.try_next().await? {
                state.load_account(
                    address(row.try_get::<&[u8], _>(0)?)?,
                    row.try_get::<i64, _>(1)? as u64,
                    word(row.try_get::<&[u8], _>(2)?)?,
                    B256::from(word(row.try_get::<&[u8], _>(3)?)?),
                );
            }
        }
        let mut rows = sqlx::query("SELECT address, slot, value FROM storage").fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            state.load_storage(
                address(row.try_get::<&[u8], _>(0)?)?,
                word(row.try_get::<&[u8], _>(1)?)?,
                word(row.try_get::<&[u8], _>(2)?)?,
            );
        }
        for row in sqlx::query("SELECT code FROM codes").fetch_all(&self.pool).await? {
            state.load_code(Bytes::from(row.try_get::<Vec<u8>, _>(0)?));
        }
        Ok((hashes, blocks, state))
    }

    /// Reads every account from SQLite in chunks of [`PACKED_ACCOUNTS`],
    /// each chunk one row holding its accounts packed as fixed 92-byte
    /// records (address 20, nonce 8 big-endian, balance 32, code hash 32).
    /// A row costs the driver a thread hand-off, so a row per account made
    /// the hand-offs most of a start at 10^6 accounts; SQLite packs a chunk
    /// itself (`hex` / `group_concat` / `unhex`, SQLite 3.41+).
    async fn load_accounts_packed(&self, state: &mut MemoryState) -> Result<(), DbError> {
        // The next chunk is read while this one is loaded into the state.
        let (chunks, mut received) = tokio::sync::mpsc::channel::<Result<Vec<u8>, DbError>>(2);
        let pool = self.pool.clone();
        let reader = tokio::spawn(async move {
            let mut after = i64::MIN;
            loop {
                let (last, packed) = match packed_accounts_after(&pool, after).await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => return,
                    Err(e) => {
                        let _ = chunks.send(Err(e)).await;
                        return;
                    }
                };
                after = last;
                if chunks.send(Ok(packed)).await.is_err() {
                    return;
                }
            }
        });
        while let Some(packed) = received.recv().await {
            for record in packed?.chunks_exact(PACKED_ACCOUNT_BYTES) {
                let (addr, rest) = record.split_at(20);
                let (nonce, rest) = rest.split_at(8);
                let (balance, code_hash) = rest.split_at(32);
                state.load_account(
                    address(addr)?,
                    u64::from_be_bytes(nonce.try_into().expect("8 bytes")),
                    word(balance)?,
                    B256::from_slice(code_hash),
                );
            }
        }
        reader.await.map_err(|e| DbError::Corrupt(format!("the account reader ended: {e}")))
    }

    /// Reads a metadata value.
    pub async fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, DbError> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Writes a metadata value.
    pub async fn set_meta(&self, key: &str, value: &[u8]) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key.to_string())
        .bind(value.to_vec())
        .execute(&self.pool)
        .await?;
        Ok(())
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
    // Deletions one by one (rare: self-destructs, cleared slots), writes in
    // multi-row upserts ([`PARAMS_PER_STATEMENT`] parameters a statement; the
    // keys of one block's changes are distinct, as PostgreSQL's `ON
    // CONFLICT` requires).
    let mut written = Vec::new();
    for (address, account) in &changes.accounts {
        match account {
            Some(record) => written.push((address, record)),
            None => {
                for table in ["accounts", "storage"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE address = $1"))
                        .bind(address.to_vec())
                        .execute(&mut **tx)
                        .await?;
                }
            }
        }
    }
    for chunk in written.chunks(rows_per_statement(4)) {
        let sql = format!(
            "INSERT INTO accounts (address, nonce, balance, code_hash) VALUES {} \
             ON CONFLICT (address) DO UPDATE SET nonce = excluded.nonce, \
             balance = excluded.balance, code_hash = excluded.code_hash",
            placeholders(chunk.len(), 4)
        );
        let mut query = sqlx::query(&sql);
        for (address, AccountRecord { nonce, balance, code_hash }) in chunk {
            query = query
                .bind(address.to_vec())
                .bind(*nonce as i64)
                .bind(balance.to_be_bytes::<32>().to_vec())
                .bind(code_hash.to_vec());
        }
        query.execute(&mut **tx).await?;
    }
    let mut slots = Vec::new();
    for (address, slot, value) in &changes.storage {
        if value.is_zero() {
            sqlx::query("DELETE FROM storage WHERE address = $1 AND slot = $2")
                .bind(address.to_vec())
                .bind(slot.to_be_bytes::<32>().to_vec())
                .execute(&mut **tx)
                .await?;
        } else {
            slots.push((address, slot, value));
        }
    }
    for chunk in slots.chunks(rows_per_statement(3)) {
        let sql = format!(
            "INSERT INTO storage (address, slot, value) VALUES {} \
             ON CONFLICT (address, slot) DO UPDATE SET value = excluded.value",
            placeholders(chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql);
        for (address, slot, value) in chunk {
            query = query
                .bind(address.to_vec())
                .bind(slot.to_be_bytes::<32>().to_vec())
                .bind(value.to_be_bytes::<32>().to_vec());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Bound parameters per multi-row statement. Far below SQLite's limit
/// (32,766) on purpose: binding a parameter costs O(parameters of the
/// statement) in sqlx's SQLite driver (it looks the parameter's name up
/// through `sqlite3_bind_parameter_name`, which scans them), so a statement
/// of P parameters costs O(P^2); profiled under load, 500-row statements
/// (2,000-3,500 parameters) spent about a quarter of the node's CPU there.
const PARAMS_PER_STATEMENT: usize = 256;

/// Accounts per packed row when SQLite loads the state at start
/// ([`ChainStore::load`]): 4,096 records of 92 bytes, 368 KiB a row.
const PACKED_ACCOUNTS: i64 = 4_096;

/// Bytes of a packed account: address 20, nonce 8, balance 32, code hash 32.
const PACKED_ACCOUNT_BYTES: usize = 20 + 8 + 32 + 32;

/// The next [`PACKED_ACCOUNTS`] accounts after row `after` (SQLite rowid),
/// packed by SQLite into one blob: `(last rowid, blob)`, or `None` past the
/// last account.
async fn packed_accounts_after(
    pool: &AnyPool,
    after: i64,
) -> Result<Option<(i64, Vec<u8>)>, DbError> {
    let row = sqlx::query(
        "SELECT max(r), count(*), unhex(group_concat(h, '')) FROM ( \
         SELECT rowid AS r, hex(address) || printf('%016X', nonce) || \
         hex(balance) || hex(code_hash) AS h \
         FROM accounts WHERE rowid > $1 ORDER BY rowid LIMIT $2)",
    )
    .bind(after)
    .bind(PACKED_ACCOUNTS)
    .fetch_one(pool)
    .await?;
    let Some(last) = row.try_get::<Option<i64>, _>(0)? else { return Ok(None) };
    let count = usize::try_from(row.try_get::<i64, _>(1)?).unwrap_or(0);
    let packed = row.try_get::<Option<Vec<u8>>, _>(2)?.unwrap_or_default();
    if packed.len() != count * PACKED_ACCOUNT_BYTES {
        return Err(DbError::Corrupt(format!(
            "accounts after row {after}: {} bytes for {count} accounts",
            packed.len()
        )));
    }
    Ok(Some((last, packed)))
}

/// Rows of `columns` columns per multi-row statement.
const fn rows_per_statement(columns: usize) -> usize {
    let rows = PARAMS_PER_STATEMENT / columns;
    if rows == 0 { 1 } else { rows }
}

/// `($1, ..., $k), ($k+1, ...)`: placeholders for `rows` rows of `columns`.
fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=columns).map(|c| format!("${}", r * columns + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the previous values of a block's changes under `number`, in
/// multi-row inserts ([`PARAMS_PER_STATEMENT`] parameters per statement).
async fn write_changeset(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    number: u64,
    previous: &Changeset,
    dev: bool,
) -> Result<(), DbError> {
    let dev = i64::from(dev);
    for chunk in previous.accounts.chunks(rows_per_statement(7)) {
        let sql = format!(
            "INSERT INTO account_changesets (block_number, address, existed, nonce, balance, code_hash, dev) VALUES {}",
            placeholders(chunk.len(), 7)
        );
        let mut query = sqlx::query(&sql);
        for (address, record) in chunk {
            let (existed, record) = match record {
                Some(r) => (1i64, *r),
                None => (0, AccountRecord { nonce: 0, balance: U256::ZERO, code_hash: B256::ZERO }),
            };
            query = query
                .bind(number as i64)
                .bind(address.to_vec())
                .bind(existed)
                .bind(record.nonce as i64)
                .bind(record.balance.to_be_bytes::<32>().to_vec())
                .bind(record.code_hash.to_vec())
                .bind(dev);
        }
        query.execute(&mut **tx).await?;
    }
    for chunk in previous.storage.chunks(rows_per_statement(5)) {
        let sql = format!(
            "INSERT INTO storage_changesets (block_number, address, slot, value, dev) VALUES {}",
            placeholders(chunk.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for (address, slot, value) in chunk {
            query = query
                .bind(number as i64)
                .bind(address.to_vec())
                .bind(slot.to_be_bytes::<32>().to_vec())
                .bind(value.to_be_bytes::<32>().to_vec())
                .bind(dev);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The changeset rows selected by `since`, in write order, folded to the
/// first (oldest) per account and per slot: the values at the point `since`
/// names.
async fn fold_changesets(
    conn: &mut sqlx::AnyConnection,
    since: Since,
) -> Result<Changeset, DbError> {
    let (filter, bound, slot_bound) = match since {
        Since::Block(n) => ("block_number > $1", n as i64, n as i64),
        Since::BlockTxs(n) => {
            ("(block_number > $1 OR (block_number = $1 AND dev = 0))", n as i64, n as i64)
        }
        Since::Mark(m) => ("id > $1", m.accounts, m.storage),
    };
    let mut accounts: HashMap<Address, Option<AccountRecord>> = HashMap::default();
    let mut order = Vec::new();
    for row in sqlx::query(&format!(
        "SELECT address, existed, nonce, balance, code_hash FROM account_changesets \
         WHERE {filter} ORDER BY block_number, id"
    ))
    .bind(bound)
    .fetch_all(&mut *conn)
    .await?
    {
        let address = address(&row.try_get::<Vec<u8>, _>(0)?)?;
        if accounts.contains_key(&address) {
            continue;
        }
        let record = (row.try_get::<i64, _>(1)? != 0)
            .then(|| {
                Ok::<_, DbError>(AccountRecord {
                    nonce: row.try_get::<i64, _>(2)? as u64,
                    balance: word(&row.try_get::<Vec<u8>, _>(3)?)?,
                    code_hash: B256::from(word(&row.try_get::<Vec<u8>, _>(4)?)?),
                })
            })
            .transpose()?;
        accounts.insert(address, record);
        order.push(address);
    }
    let mut slots: HashMap<(Address, U256), U256> = HashMap::default();
    let mut storage = Vec::new();
    for row in sqlx::query(&format!(
        "SELECT address, slot, value FROM storage_changesets \
         WHERE {filter} ORDER BY block_number, id"
    ))
    .bind(slot_bound)
    .fetch_all(&mut *conn)
    .await?
    {
        let key = (address(&row.try_get::<Vec<u8>, _>(0)?)?, word(&row.try_get::<Vec<u8>, _>(1)?)?);
        if slots.contains_key(&key) {
            continue;
        }
        let value = word(&row.try_get::<Vec<u8>, _>(2)?)?;
        slots.insert(key, value);
        storage.push((key.0, key.1, value));
    }
    Ok(Changeset { accounts: order.into_iter().map(|a| (a, accounts[&a])).collect(), storage })
}

fn decode_body(number: u64, body: &[u8]) -> Result<StoredBlock, DbError> {
    crate::codec::decode_block(body).map_err(|e| DbError::Corrupt(format!("block {number}: {e}")))
}

/// Indexes the transactions of `block` (hash -> block number, position), in
/// multi-row inserts. A hash indexed before (a transaction of an unwound
/// block included again) points to its new place.
async fn write_tx_index(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    block: &StoredBlock,
) -> Result<(), DbError> {
    let rows: Vec<(usize, B256)> =
        block.transactions.iter().enumerate().map(|(i, t)| (i, t.tx.tx_hash())).collect();
    for chunk in rows.chunks(rows_per_statement(3)) {
        let sql = format!(
            "INSERT INTO transactions (hash, block_number, tx_index) VALUES {} \
             ON CONFLICT (hash) DO UPDATE SET block_number = excluded.block_number, \
             tx_index = excluded.tx_index",
            placeholders(chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql);
        for (index, hash) in chunk {
            query = query.bind(hash.to_vec()).bind(block.number() as i64).bind(*index as i64);
        }
        query.execute(&mut **tx).await?;
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
