//! The indexer's database (sqlx `Any`: SQLite file or PostgreSQL schema
//! `bridge`): deposits, withdrawals, finalizations, batches, outputs and the
//! per-chain scan cursors. Everything the indexer learns from one block range
//! is written in one transaction together with the cursor, so a restart
//! resumes exactly where it stopped.

use alloy_primitives::{Address, B256, Bytes, U256};
use rollup_db::{DbError, SchemaMigration, connect};
use rollup_protocol::{UserDeposit, WithdrawalMessage};
use sqlx::{AnyPool, Row, any::AnyRow};
use std::str::FromStr;

const MIGRATIONS: &[SchemaMigration] = &[
    SchemaMigration {
        version: 1,
        description: "bridge indexer",
        sqlite: include_str!("../migrations/0001_bridge.sql"),
        postgres: include_str!("../migrations/0001_bridge.sql"),
    },
    SchemaMigration {
        version: 2,
        description: "dispute games",
        sqlite: include_str!("../migrations/0002_games.sql"),
        postgres: include_str!("../migrations/0002_games.sql"),
    },
];

/// Which chain a cursor belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chain {
    /// The L1.
    L1,
    /// The L2.
    L2,
}

impl Chain {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::L1 => "l1",
            Self::L2 => "l2",
        }
    }
}

/// One indexed deposit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DepositRow {
    pub(crate) deposit: UserDeposit,
    pub(crate) l1_tx_hash: B256,
    pub(crate) l1_block: u64,
    pub(crate) log_index: u64,
    /// The L2 deposit transaction hash (`UserDeposit::to_tx().tx_hash()`).
    pub(crate) l2_tx_hash: B256,
    /// The L2 block that credited it, once seen.
    pub(crate) l2_block: Option<u64>,
}

/// One indexed withdrawal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WithdrawalRow {
    pub(crate) hash: B256,
    pub(crate) message: WithdrawalMessage,
    pub(crate) l2_block: u64,
    pub(crate) l2_tx_hash: B256,
}

/// One `Bridge.WithdrawalFinalized` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FinalizationRow {
    pub(crate) withdrawal_hash: B256,
    pub(crate) l1_tx_hash: B256,
    pub(crate) l1_block: u64,
    pub(crate) success: bool,
}

/// One appended batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BatchRow {
    pub(crate) index: u64,
    pub(crate) l1_block: u64,
    pub(crate) log_index: u64,
    pub(crate) l1_tx_hash: B256,
    pub(crate) l1_timestamp: u64,
    pub(crate) l2_start: u64,
    pub(crate) l2_end: u64,
    pub(crate) commitment: B256,
    pub(crate) is_blob: bool,
}

/// One proposed output (deleted ones are kept, flagged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OutputRow {
    pub(crate) index: u64,
    pub(crate) l1_block: u64,
    pub(crate) log_index: u64,
    pub(crate) l1_tx_hash: B256,
    pub(crate) l2_block: u64,
    pub(crate) output_root: B256,
    /// L1 timestamp of the proposal, in unix seconds.
    pub(crate) timestamp: u64,
    pub(crate) deleted: bool,
    /// A dispute game about it is in progress.
    pub(crate) challenged: bool,
}

/// How a dispute game ended, as far as the indexer has seen it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GameResultRow {
    pub(crate) game_id: u64,
    /// 1 proposer, 2 challenger (`None` until `GameResolved` is seen).
    pub(crate) winner: Option<u8>,
    /// `proof` or `clock`.
    pub(crate) reason: Option<String>,
    /// The block the EXECUTE precompile re-executed, and its output root.
    pub(crate) proven: Option<(u64, B256)>,
    pub(crate) l1_block: u64,
    pub(crate) l1_tx_hash: B256,
}

/// What the indexer found in an L1 block range, in log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum L1Event {
    Deposit(DepositRow),
    Batch(BatchRow),
    Output(OutputRow),
    /// `OutputsDeleted(fromIndex, ..)`: every live output at or above the index.
    OutputsDeleted(u64),
    Finalized(FinalizationRow),
    /// `OutputChallenged(index, challenged)` of the live output at `index`.
    OutputChallenged(u64, bool),
    /// `BlockProven(gameId, block, outputRoot)` (`winner`, `reason` unset).
    GameProven(GameResultRow),
    /// `GameResolved(gameId, winner, reason)` (`proven` unset).
    GameResolved(GameResultRow),
}

/// Position of a row in the L1 log order, the key of the list pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LogPosition {
    pub(crate) l1_block: u64,
    pub(crate) log_index: u64,
}

impl LogPosition {
    /// The opaque cursor string of this position.
    pub(crate) fn cursor(self) -> String {
        format!("{:x}-{:x}", self.l1_block, self.log_index)
    }

    /// Parses [`Self::cursor`].
    pub(crate) fn parse(cursor: &str) -> Option<Self> {
        let (block, log) = cursor.split_once('-')?;
        let l1_block = u64::from_str_radix(block, 16).ok()?;
        let log_index = u64::from_str_radix(log, 16).ok()?;
        (l1_block <= i64::MAX as u64 && log_index <= i64::MAX as u64)
            .then_some(Self { l1_block, log_index })
    }
}

/// The bridge's database.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    pool: AnyPool,
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn get_u64(row: &AnyRow, column: &str) -> Result<u64, DbError> {
    let v: i64 = row.try_get(column)?;
    u64::try_from(v).map_err(|_| DbError::Corrupt(format!("negative {column}")))
}

fn get_opt_u64(row: &AnyRow, column: &str) -> Result<Option<u64>, DbError> {
    let v: Option<i64> = row.try_get(column)?;
    v.map(|v| u64::try_from(v).map_err(|_| DbError::Corrupt(format!("negative {column}"))))
        .transpose()
}

fn get_parsed<T: FromStr>(row: &AnyRow, column: &str) -> Result<T, DbError> {
    let v: String = row.try_get(column)?;
    v.parse().map_err(|_| DbError::Corrupt(format!("bad {column}: {v:?}")))
}

fn hex(v: impl std::fmt::LowerHex) -> String {
    format!("{v:#x}")
}

fn deposit_row(row: &AnyRow) -> Result<DepositRow, DbError> {
    Ok(DepositRow {
        deposit: UserDeposit {
            from: get_parsed::<Address>(row, "sender")?,
            to: get_parsed::<Address>(row, "recipient")?,
            index: get_u64(row, "deposit_index")?,
            mint: get_parsed::<U256>(row, "mint")?,
            value: get_parsed::<U256>(row, "value")?,
            gas_limit: get_u64(row, "gas_limit")?,
            data: get_parsed::<Bytes>(row, "data")?,
        },
        l1_tx_hash: get_parsed(row, "l1_tx_hash")?,
        l1_block: get_u64(row, "l1_block")?,
        log_index: get_u64(row, "log_index")?,
        l2_tx_hash: get_parsed(row, "l2_tx_hash")?,
        l2_block: get_opt_u64(row, "l2_block")?,
    })
}

fn withdrawal_row(row: &AnyRow) -> Result<WithdrawalRow, DbError> {
    Ok(WithdrawalRow {
        hash: get_parsed(row, "withdrawal_hash")?,
        message: WithdrawalMessage {
            nonce: U256::from(get_u64(row, "nonce")?),
            sender: get_parsed(row, "sender")?,
            target: get_parsed(row, "target")?,
            value: get_parsed(row, "value")?,
            gas_limit: get_parsed(row, "gas_limit")?,
            data: get_parsed(row, "data")?,
        },
        l2_block: get_u64(row, "l2_block")?,
        l2_tx_hash: get_parsed(row, "l2_tx_hash")?,
    })
}

fn batch_row(row: &AnyRow) -> Result<BatchRow, DbError> {
    Ok(BatchRow {
        index: get_u64(row, "batch_index")?,
        l1_block: get_u64(row, "l1_block")?,
        log_index: get_u64(row, "log_index")?,
        l1_tx_hash: get_parsed(row, "l1_tx_hash")?,
        l1_timestamp: get_u64(row, "l1_timestamp")?,
        l2_start: get_u64(row, "l2_start")?,
        l2_end: get_u64(row, "l2_end")?,
        commitment: get_parsed(row, "commitment")?,
        is_blob: get_u64(row, "is_blob")? != 0,
    })
}

fn output_row(row: &AnyRow) -> Result<OutputRow, DbError> {
    Ok(OutputRow {
        index: get_u64(row, "output_index")?,
        l1_block: get_u64(row, "l1_block")?,
        log_index: get_u64(row, "log_index")?,
        l1_tx_hash: get_parsed(row, "l1_tx_hash")?,
        l2_block: get_u64(row, "l2_block")?,
        output_root: get_parsed(row, "output_root")?,
        timestamp: get_u64(row, "proposed_at")?,
        deleted: get_u64(row, "deleted")? != 0,
        challenged: get_u64(row, "challenged")? != 0,
    })
}

async fn insert_deposit<'e, E>(exec: E, d: &DepositRow) -> Result<(), DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO deposits (deposit_index, l1_tx_hash, l1_block, log_index, sender, recipient, \
         mint, value, gas_limit, data, l2_tx_hash, l2_block) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
    )
    .bind(int(d.deposit.index))
    .bind(hex(d.l1_tx_hash))
    .bind(int(d.l1_block))
    .bind(int(d.log_index))
    .bind(hex(d.deposit.from))
    .bind(hex(d.deposit.to))
    .bind(d.deposit.mint.to_string())
    .bind(d.deposit.value.to_string())
    .bind(int(d.deposit.gas_limit))
    .bind(d.deposit.data.to_string())
    .bind(hex(d.l2_tx_hash))
    .bind(d.l2_block.map(int))
    .execute(exec)
    .await?;
    Ok(())
}

async fn insert_withdrawal<'e, E>(exec: E, w: &WithdrawalRow) -> Result<(), DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO withdrawals (withdrawal_hash, nonce, sender, target, value, gas_limit, data, \
         l2_block, l2_tx_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(hex(w.hash))
    .bind(int(w.message.nonce.saturating_to::<u64>()))
    .bind(hex(w.message.sender))
    .bind(hex(w.message.target))
    .bind(w.message.value.to_string())
    .bind(w.message.gas_limit.to_string())
    .bind(w.message.data.to_string())
    .bind(int(w.l2_block))
    .bind(hex(w.l2_tx_hash))
    .execute(exec)
    .await?;
    Ok(())
}

async fn set_cursor(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    chain: Chain,
    next_block: u64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO cursors (chain, next_block) VALUES ($1, $2) \
         ON CONFLICT (chain) DO UPDATE SET next_block = excluded.next_block",
    )
    .bind(chain.name().to_string())
    .bind(int(next_block))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Opens (and migrates) the database at `url`.
    pub(crate) async fn open(url: &str) -> Result<Self, DbError> {
        Ok(Self { pool: connect(url, "bridge", MIGRATIONS).await? })
    }

    /// The next block the indexer must scan on `chain` (0 at first start).
    pub(crate) async fn cursor(&self, chain: Chain) -> Result<u64, DbError> {
        let row = sqlx::query("SELECT next_block FROM cursors WHERE chain = $1")
            .bind(chain.name().to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| get_u64(&r, "next_block")).transpose().map(Option::unwrap_or_default)
    }

    /// Applies the events of the L1 blocks before `next_block` and moves the
    /// L1 cursor there, atomically.
    pub(crate) async fn apply_l1(
        &self,
        events: &[L1Event],
        next_block: u64,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        for event in events {
            match event {
                L1Event::Deposit(d) => insert_deposit(&mut *tx, d).await?,
                L1Event::Batch(b) => {
                    sqlx::query(
                        "INSERT INTO batches (batch_index, l1_block, log_index, l1_tx_hash, \
                         l1_timestamp, l2_start, l2_end, commitment, is_blob) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                    )
                    .bind(int(b.index))
                    .bind(int(b.l1_block))
                    .bind(int(b.log_index))
                    .bind(hex(b.l1_tx_hash))
                    .bind(int(b.l1_timestamp))
                    .bind(int(b.l2_start))
                    .bind(int(b.l2_end))
                    .bind(hex(b.commitment))
                    .bind(i64::from(b.is_blob))
                    .execute(&mut *tx)
                    .await?;
                }
                L1Event::Output(o) => {
                    sqlx::query(
                        "INSERT INTO outputs (l1_block, log_index, output_index, l1_tx_hash, \
                         l2_block, output_root, proposed_at, deleted) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                    )
                    .bind(int(o.l1_block))
                    .bind(int(o.log_index))
                    .bind(int(o.index))
                    .bind(hex(o.l1_tx_hash))
                    .bind(int(o.l2_block))
                    .bind(hex(o.output_root))
                    .bind(int(o.timestamp))
                    .bind(i64::from(o.deleted))
                    .execute(&mut *tx)
                    .await?;
                }
                L1Event::OutputsDeleted(from) => {
                    sqlx::query(
                        "UPDATE outputs SET deleted = 1 WHERE output_index >= $1 AND deleted = 0",
                    )
                    .bind(int(*from))
                    .execute(&mut *tx)
                    .await?;
                }
                L1Event::OutputChallenged(index, challenged) => {
                    sqlx::query(
                        "UPDATE outputs SET challenged = $1 WHERE output_index = $2 AND deleted = 0",
                    )
                    .bind(i64::from(*challenged))
                    .bind(int(*index))
                    .execute(&mut *tx)
                    .await?;
                }
                L1Event::GameProven(g) => {
                    let (block, root) = g.proven.unwrap_or_default();
                    sqlx::query(
                        "INSERT INTO game_results (game_id, proven_block, proven_root, l1_block, \
                         l1_tx_hash) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (game_id) DO UPDATE \
                         SET proven_block = excluded.proven_block, proven_root = excluded.proven_root",
                    )
                    .bind(int(g.game_id))
                    .bind(int(block))
                    .bind(hex(root))
                    .bind(int(g.l1_block))
                    .bind(hex(g.l1_tx_hash))
                    .execute(&mut *tx)
                    .await?;
                }
                L1Event::GameResolved(g) => {
                    sqlx::query(
                        "INSERT INTO game_results (game_id, winner, reason, l1_block, l1_tx_hash) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (game_id) DO UPDATE \
                         SET winner = excluded.winner, reason = excluded.reason, \
                         l1_block = excluded.l1_block, l1_tx_hash = excluded.l1_tx_hash",
                    )
                    .bind(int(g.game_id))
                    .bind(g.winner.map(i64::from))
                    .bind(g.reason.clone())
                    .bind(int(g.l1_block))
                    .bind(hex(g.l1_tx_hash))
                    .execute(&mut *tx)
                    .await?;
                }
                L1Event::Finalized(f) => {
                    sqlx::query(
                        "INSERT INTO finalizations (withdrawal_hash, l1_tx_hash, l1_block, success) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(hex(f.withdrawal_hash))
                    .bind(hex(f.l1_tx_hash))
                    .bind(int(f.l1_block))
                    .bind(i64::from(f.success))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        set_cursor(&mut tx, Chain::L1, next_block).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores the withdrawals of the L2 blocks before `next_block` and the
    /// deposits credited there (`(deposit index, L2 block)`), and moves the L2
    /// cursor there, atomically.
    pub(crate) async fn apply_l2(
        &self,
        withdrawals: &[WithdrawalRow],
        credits: &[(u64, u64)],
        next_block: u64,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        for w in withdrawals {
            insert_withdrawal(&mut *tx, w).await?;
        }
        for (index, l2_block) in credits {
            sqlx::query("UPDATE deposits SET l2_block = $1 WHERE deposit_index = $2")
                .bind(int(*l2_block))
                .bind(int(*index))
                .execute(&mut *tx)
                .await?;
        }
        set_cursor(&mut tx, Chain::L2, next_block).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a deposit seen outside the indexer (a receipt the API waited
    /// for); a no-op when it is already known.
    pub(crate) async fn put_deposit(&self, d: &DepositRow) -> Result<(), DbError> {
        insert_deposit(&self.pool, d).await
    }

    /// Records a withdrawal seen outside the indexer; a no-op when known.
    pub(crate) async fn put_withdrawal(&self, w: &WithdrawalRow) -> Result<(), DbError> {
        insert_withdrawal(&self.pool, w).await
    }

    /// The deposits made by L1 transaction `hash`, by deposit index.
    pub(crate) async fn deposits_by_tx(&self, hash: B256) -> Result<Vec<DepositRow>, DbError> {
        sqlx::query("SELECT * FROM deposits WHERE l1_tx_hash = $1 ORDER BY deposit_index")
            .bind(hex(hash))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(deposit_row)
            .collect()
    }

    /// Up to `limit` deposits not yet seen credited on L2, oldest first. (Only
    /// the indexer records credits, with its L2 cursor, so that it announces
    /// each credit exactly once.)
    pub(crate) async fn uncredited_deposits(&self, limit: u64) -> Result<Vec<DepositRow>, DbError> {
        sqlx::query(
            "SELECT * FROM deposits WHERE l2_block IS NULL ORDER BY deposit_index ASC LIMIT $1",
        )
        .bind(int(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(deposit_row)
        .collect()
    }

    /// The smallest index of a live output marked challenged (no output at
    /// or after it is final).
    pub(crate) async fn first_challenged_output(&self) -> Result<Option<u64>, DbError> {
        let row = sqlx::query(
            "SELECT MIN(output_index) AS first_index FROM outputs WHERE challenged = 1 AND deleted = 0",
        )
        .fetch_one(&self.pool)
        .await?;
        get_opt_u64(&row, "first_index")
    }

    /// What the indexer saw of the end of game `game_id`.
    pub(crate) async fn game_result(&self, game_id: u64) -> Result<Option<GameResultRow>, DbError> {
        sqlx::query("SELECT * FROM game_results WHERE game_id = $1")
            .bind(int(game_id))
            .fetch_optional(&self.pool)
            .await?
            .map(|r| {
                let winner = get_opt_u64(&r, "winner")?.map(|w| u8::try_from(w).unwrap_or(0));
                let block = get_opt_u64(&r, "proven_block")?;
                let root: Option<String> = r.try_get("proven_root")?;
                let proven = match (block, root) {
                    (Some(block), Some(root)) => Some((
                        block,
                        root.parse().map_err(|_| DbError::Corrupt(format!("bad root {root:?}")))?,
                    )),
                    _ => None,
                };
                Ok(GameResultRow {
                    game_id,
                    winner,
                    reason: r.try_get("reason")?,
                    proven,
                    l1_block: get_u64(&r, "l1_block")?,
                    l1_tx_hash: get_parsed(&r, "l1_tx_hash")?,
                })
            })
            .transpose()
    }

    /// The withdrawal with hash `hash`.
    pub(crate) async fn withdrawal(&self, hash: B256) -> Result<Option<WithdrawalRow>, DbError> {
        sqlx::query("SELECT * FROM withdrawals WHERE withdrawal_hash = $1")
            .bind(hex(hash))
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(withdrawal_row)
            .transpose()
    }

    /// The hashes of the withdrawals initiated in L2 blocks `<= l2_block`,
    /// with their nonces, in nonce order.
    pub(crate) async fn withdrawal_leaves(
        &self,
        l2_block: u64,
    ) -> Result<Vec<(u64, B256)>, DbError> {
        sqlx::query(
            "SELECT nonce, withdrawal_hash FROM withdrawals WHERE l2_block <= $1 ORDER BY nonce",
        )
        .bind(int(l2_block))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((get_u64(r, "nonce")?, get_parsed(r, "withdrawal_hash")?)))
        .collect()
    }

    /// The finalization of withdrawal `hash`, once seen on L1.
    pub(crate) async fn finalization(
        &self,
        hash: B256,
    ) -> Result<Option<FinalizationRow>, DbError> {
        sqlx::query("SELECT * FROM finalizations WHERE withdrawal_hash = $1")
            .bind(hex(hash))
            .fetch_optional(&self.pool)
            .await?
            .map(|r| {
                Ok(FinalizationRow {
                    withdrawal_hash: get_parsed(&r, "withdrawal_hash")?,
                    l1_tx_hash: get_parsed(&r, "l1_tx_hash")?,
                    l1_block: get_u64(&r, "l1_block")?,
                    success: get_u64(&r, "success")? != 0,
                })
            })
            .transpose()
    }

    /// The earliest live (not deleted) output whose L2 block is `>= l2_block`.
    pub(crate) async fn covering_output(
        &self,
        l2_block: u64,
    ) -> Result<Option<OutputRow>, DbError> {
        sqlx::query(
            "SELECT * FROM outputs WHERE deleted = 0 AND l2_block >= $1 \
             ORDER BY output_index ASC LIMIT 1",
        )
        .bind(int(l2_block))
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(output_row)
        .transpose()
    }

    /// Up to `limit` batches before `before` (newest first).
    pub(crate) async fn batches(
        &self,
        before: Option<LogPosition>,
        limit: u64,
    ) -> Result<Vec<BatchRow>, DbError> {
        self.page("batches", before, limit, batch_row).await
    }

    /// Up to `limit` outputs (deleted ones included) proposed before `before`
    /// (newest first).
    pub(crate) async fn outputs(
        &self,
        before: Option<LogPosition>,
        limit: u64,
    ) -> Result<Vec<OutputRow>, DbError> {
        self.page("outputs", before, limit, output_row).await
    }

    /// Up to `limit` rows of `table` (an L1 log table) logged before
    /// `before`, newest first.
    async fn page<T>(
        &self,
        table: &'static str,
        before: Option<LogPosition>,
        limit: u64,
        row: fn(&AnyRow) -> Result<T, DbError>,
    ) -> Result<Vec<T>, DbError> {
        let before = before.unwrap_or(LogPosition { l1_block: i64::MAX as u64, log_index: 0 });
        let sql = format!(
            "SELECT * FROM {table} WHERE l1_block < $1 OR (l1_block = $2 AND log_index < $3) \
             ORDER BY l1_block DESC, log_index DESC LIMIT $4"
        );
        sqlx::query(&sql)
            .bind(int(before.l1_block))
            .bind(int(before.l1_block))
            .bind(int(before.log_index))
            .bind(int(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(row)
            .collect()
    }

    /// Closes the pool.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let p = LogPosition { l1_block: 1234, log_index: 7 };
        assert_eq!(LogPosition::parse(&p.cursor()), Some(p));
        for bad in ["", "x", "12", "-1", "1-", "zz-1", "ffffffffffffffff-0"] {
            assert_eq!(LogPosition::parse(bad), None, "{bad}");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn store_round_trips_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let url = rollup_db::sqlite_url(dir.path(), "bridge.db");
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.cursor(Chain::L1).await.unwrap(), 0);
        let deposit = UserDeposit {
            from: Address::repeat_byte(1),
            to: Address::repeat_byte(2),
            index: 3,
            mint: U256::from(10u64).pow(U256::from(20u64)),
            value: U256::from(5u64),
            gas_limit: 100_000,
            data: Bytes::from_static(&[1, 2]),
        };
        let row = DepositRow {
            l2_tx_hash: deposit.to_tx().tx_hash(),
            deposit,
            l1_tx_hash: B256::repeat_byte(9),
            l1_block: 12,
            log_index: 0,
            l2_block: None,
        };
        let output = |index, l1_block, l2_block| OutputRow {
            index,
            l1_block,
            log_index: 1,
            l1_tx_hash: B256::repeat_byte(3),
            l2_block,
            output_root: B256::repeat_byte(4),
            timestamp: 100,
            deleted: false,
            challenged: false,
        };
        let events = vec![
            L1Event::Deposit(row.clone()),
            L1Event::Output(output(0, 12, 10)),
            L1Event::Output(output(1, 13, 20)),
            L1Event::OutputsDeleted(1),
            L1Event::Output(output(1, 14, 30)),
        ];
        store.apply_l1(&events, 15).await.unwrap();
        // Applying twice is harmless (the API may have stored a deposit first).
        store.put_deposit(&row).await.unwrap();
        assert_eq!(store.uncredited_deposits(10).await.unwrap(), vec![row.clone()]);
        let withdrawal = WithdrawalRow {
            hash: B256::repeat_byte(5),
            message: WithdrawalMessage {
                nonce: U256::ZERO,
                sender: Address::repeat_byte(6),
                target: Address::repeat_byte(7),
                value: U256::from(1u64),
                gas_limit: U256::from(100_000u64),
                data: Bytes::new(),
            },
            l2_block: 15,
            l2_tx_hash: B256::repeat_byte(8),
        };
        store.apply_l2(std::slice::from_ref(&withdrawal), &[(3, 77)], 40).await.unwrap();
        assert!(store.uncredited_deposits(10).await.unwrap().is_empty());
        store.close().await;

        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.cursor(Chain::L1).await.unwrap(), 15);
        assert_eq!(store.cursor(Chain::L2).await.unwrap(), 40);
        let got = store.deposits_by_tx(B256::repeat_byte(9)).await.unwrap();
        assert_eq!(got, vec![DepositRow { l2_block: Some(77), ..row }]);
        assert_eq!(store.withdrawal(withdrawal.hash).await.unwrap(), Some(withdrawal.clone()));
        assert_eq!(store.withdrawal_leaves(15).await.unwrap(), vec![(0, withdrawal.hash)]);
        assert!(store.withdrawal_leaves(14).await.unwrap().is_empty());
        // Output 1 at L2 block 20 was deleted; the replacement covers block 30.
        let covering = store.covering_output(15).await.unwrap().unwrap();
        assert_eq!((covering.index, covering.l2_block), (1, 30));
        assert_eq!(store.covering_output(5).await.unwrap().unwrap().index, 0);
        assert!(store.covering_output(31).await.unwrap().is_none());
        let all = store.outputs(None, 10).await.unwrap();
        assert_eq!(
            all.iter().map(|o| (o.l1_block, o.deleted)).collect::<Vec<_>>(),
            vec![(14, false), (13, true), (12, false)]
        );
        let page =
            store.outputs(Some(LogPosition { l1_block: 13, log_index: 1 }), 1).await.unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].l1_block, 12);

        // Dispute games: the challenged flag of live outputs, and results.
        assert_eq!(store.first_challenged_output().await.unwrap(), None);
        let result = GameResultRow {
            game_id: 4,
            l1_block: 16,
            l1_tx_hash: B256::repeat_byte(0xaa),
            ..GameResultRow::default()
        };
        let events = vec![
            L1Event::OutputChallenged(1, true),
            L1Event::OutputChallenged(0, true),
            L1Event::OutputChallenged(0, false),
            L1Event::GameProven(GameResultRow {
                proven: Some((30, B256::repeat_byte(0xbb))),
                ..result.clone()
            }),
            L1Event::GameResolved(GameResultRow {
                winner: Some(2),
                reason: Some("proof".into()),
                ..result.clone()
            }),
        ];
        store.apply_l1(&events, 17).await.unwrap();
        assert_eq!(store.first_challenged_output().await.unwrap(), Some(1));
        let all = store.outputs(None, 10).await.unwrap();
        assert_eq!(
            all.iter().map(|o| (o.index, o.deleted, o.challenged)).collect::<Vec<_>>(),
            vec![(1, false, true), (1, true, false), (0, false, false)]
        );
        assert_eq!(
            store.game_result(4).await.unwrap(),
            Some(GameResultRow {
                winner: Some(2),
                reason: Some("proof".into()),
                proven: Some((30, B256::repeat_byte(0xbb))),
                ..result
            })
        );
        assert_eq!(store.game_result(5).await.unwrap(), None);
        store.apply_l1(&[L1Event::OutputsDeleted(1)], 18).await.unwrap();
        assert_eq!(store.first_challenged_output().await.unwrap(), None);
    }
}
