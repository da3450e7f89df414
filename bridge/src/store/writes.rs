//! What the indexer and the API write: each block range's events with its
//! cursor in one transaction, and single rows seen outside the indexer.

use super::*;

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
}
