//! What the indexer and the API write: each block range's events with its
//! cursor in one transaction, and single rows seen outside the indexer.

use super::*;
use alloy_primitives::B256;

pub(super) async fn insert_deposit<'e, E>(exec: E, d: &DepositRow) -> Result<(), DbError>
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

pub(super) async fn insert_withdrawal<'e, E>(exec: E, w: &WithdrawalRow) -> Result<(), DbError>
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

pub(super) async fn set_cursor(
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
    /// Applies the events of the L1 blocks before `next_block`, records the
    /// `hashes` of indexed blocks and moves the L1 cursor there, atomically.
    pub(crate) async fn apply_l1(
        &self,
        events: &[L1Event],
        hashes: &[(u64, B256)],
        next_block: u64,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        // The indexer is the authority on the blocks it scans: deposits the
        // API stored ahead of it from those blocks' receipts are replaced by
        // what the scan found (a reorg may have dropped them since).
        sqlx::query(
            "DELETE FROM deposits WHERE l1_block < $1 AND l1_block >= \
             (SELECT COALESCE(MAX(next_block), 0) FROM cursors WHERE chain = 'l1')",
        )
        .bind(int(next_block))
        .execute(&mut *tx)
        .await?;
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
                L1Event::OutputsDeleted(from, l1_block) => {
                    sqlx::query(
                        "UPDATE outputs SET deleted = 1, deleted_at = $2 \
                         WHERE output_index >= $1 AND deleted = 0",
                    )
                    .bind(int(*from))
                    .bind(int(*l1_block))
                    .execute(&mut *tx)
                    .await?;
                }
                L1Event::OutputChallenged(index, challenged, l1_block, log_index) => {
                    sqlx::query(
                        "UPDATE outputs SET challenged = $1, challenged_at = $3 \
                         WHERE output_index = $2 AND deleted = 0",
                    )
                    .bind(i64::from(*challenged))
                    .bind(int(*index))
                    .bind(int(*l1_block))
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO output_challenges (l1_block, log_index, output_index, \
                         challenged) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(int(*l1_block))
                    .bind(int(*log_index))
                    .bind(int(*index))
                    .bind(i64::from(*challenged))
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
        insert_block_hashes(&mut tx, Chain::L1, hashes).await?;
        set_cursor(&mut tx, Chain::L1, next_block).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores the withdrawals of the L2 blocks before `next_block` and the
    /// deposits credited there (`(deposit index, L2 block)`), records the
    /// `hashes` of indexed blocks, and moves the L2 cursor there, atomically.
    pub(crate) async fn apply_l2(
        &self,
        withdrawals: &[WithdrawalRow],
        credits: &[(u64, u64)],
        hashes: &[(u64, B256)],
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
        insert_block_hashes(&mut tx, Chain::L2, hashes).await?;
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
}

/// Block hashes kept per chain to find a fork point: the reorgs the
/// bridge follows are at most this deep (the L1 finalizes after 64 blocks).
pub(crate) const KEPT_BLOCK_HASHES: u64 = 256;

/// Records the hashes of indexed blocks of `chain` (`(number, hash)`),
/// keeping the last [`KEPT_BLOCK_HASHES`] heights.
async fn insert_block_hashes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    chain: Chain,
    hashes: &[(u64, B256)],
) -> Result<(), DbError> {
    let Some(top) = hashes.iter().map(|(n, _)| *n).max() else { return Ok(()) };
    for (number, hash) in hashes {
        sqlx::query(
            "INSERT INTO block_hashes (chain, number, hash) VALUES ($1, $2, $3) \
             ON CONFLICT (chain, number) DO UPDATE SET hash = excluded.hash",
        )
        .bind(chain.name().to_string())
        .bind(int(*number))
        .bind(hex(*hash))
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM block_hashes WHERE chain = $1 AND number <= $2")
        .bind(chain.name().to_string())
        .bind(int(top.saturating_sub(KEPT_BLOCK_HASHES)))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// The recorded block hashes of `chain`, highest first.
    pub(crate) async fn block_hashes(&self, chain: Chain) -> Result<Vec<(u64, B256)>, DbError> {
        sqlx::query("SELECT number, hash FROM block_hashes WHERE chain = $1 ORDER BY number DESC")
            .bind(chain.name().to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((get_u64(row, "number")?, get_parsed(row, "hash")?)))
            .collect()
    }

    /// Forgets what was indexed from the blocks of `chain` from `next` on
    /// (a reorg dropped them) and moves its cursor back to `next`, atomically:
    ///
    /// - L1: the deposits, batches, outputs, finalizations and game results
    ///   of those blocks are deleted, the `deleted` flags their events set
    ///   are cleared, and the `challenged` flags they changed go back to what
    ///   the last earlier `OutputChallenged` event said;
    /// - L2: the withdrawals of those blocks are deleted and the deposits
    ///   credited there are uncredited.
    ///
    /// The re-indexed blocks then add what the new chain holds.
    pub(crate) async fn roll_back(&self, chain: Chain, next: u64) -> Result<(), DbError> {
        let from = int(next);
        let mut tx = self.pool.begin().await?;
        let statements: &[&str] = match chain {
            Chain::L1 => &[
                "DELETE FROM deposits WHERE l1_block >= $1",
                "DELETE FROM batches WHERE l1_block >= $1",
                "DELETE FROM outputs WHERE l1_block >= $1",
                "DELETE FROM finalizations WHERE l1_block >= $1",
                "DELETE FROM game_results WHERE l1_block >= $1",
                "UPDATE outputs SET deleted = 0, deleted_at = NULL WHERE deleted_at >= $1",
                "DELETE FROM output_challenges WHERE l1_block >= $1",
                // The flag of the last remaining OutputChallenged about the
                // output (since its proposal: indices are reused), else unset.
                "UPDATE outputs SET \
                 challenged = COALESCE((SELECT e.challenged FROM output_challenges e \
                   WHERE e.output_index = outputs.output_index AND e.l1_block >= outputs.l1_block \
                   ORDER BY e.l1_block DESC, e.log_index DESC LIMIT 1), 0), \
                 challenged_at = (SELECT MAX(e.l1_block) FROM output_challenges e \
                   WHERE e.output_index = outputs.output_index AND e.l1_block >= outputs.l1_block) \
                 WHERE challenged_at >= $1",
            ],
            Chain::L2 => &[
                "DELETE FROM withdrawals WHERE l2_block >= $1",
                "UPDATE deposits SET l2_block = NULL WHERE l2_block >= $1",
            ],
        };
        for statement in statements {
            sqlx::query(statement).bind(from).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM block_hashes WHERE chain = $1 AND number >= $2")
            .bind(chain.name().to_string())
            .bind(from)
            .execute(&mut *tx)
            .await?;
        set_cursor(&mut tx, chain, next).await?;
        tx.commit().await?;
        Ok(())
    }
}
