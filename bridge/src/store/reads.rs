//! What the API and the indexer read back.

use super::*;
use alloy_primitives::B256;

impl Store {
    /// The next block the indexer must scan on `chain` (0 at first start).
    pub(crate) async fn cursor(&self, chain: Chain) -> Result<u64, DbError> {
        let row = sqlx::query("SELECT next_block FROM cursors WHERE chain = $1")
            .bind(chain.name().to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| get_u64(&r, "next_block")).transpose().map(Option::unwrap_or_default)
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
    pub(super) async fn page<T>(
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
}
