//! The indexer's database (sqlx `Any`: SQLite file or PostgreSQL schema
//! `bridge`): deposits, withdrawals, finalizations, batches, outputs and the
//! per-chain scan cursors. Everything the indexer learns from one block range
//! is written in one transaction together with the cursor, so a restart
//! resumes exactly where it stopped.
//!
//! Layout: the rows and their decoding (`rows.rs`), what the indexer and the
//! API write (`writes.rs`), what the API reads (`reads.rs`); here, the
//! database itself and its column helpers.

mod reads;
mod rows;
mod writes;

pub(crate) use rows::*;

use rollup_db::{DbError, SchemaMigration, connect};
use sqlx::{AnyPool, Row, any::AnyRow};
use std::str::FromStr;

const MIGRATIONS: &[SchemaMigration] = &[
    SchemaMigration {
        version: 1,
        description: "bridge indexer",
        sqlite: include_str!("../../migrations/0001_bridge.sql"),
        postgres: include_str!("../../migrations/0001_bridge.sql"),
    },
    SchemaMigration {
        version: 2,
        description: "dispute games",
        sqlite: include_str!("../../migrations/0002_games.sql"),
        postgres: include_str!("../../migrations/0002_games.sql"),
    },
    SchemaMigration {
        version: 3,
        description: "reorgs: block hashes, flag heights",
        sqlite: include_str!("../../migrations/0003_reorgs.sql"),
        postgres: include_str!("../../migrations/0003_reorgs.sql"),
    },
];

/// The bridge's database.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    pool: AnyPool,
}

pub(super) fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) fn get_u64(row: &AnyRow, column: &str) -> Result<u64, DbError> {
    let v: i64 = row.try_get(column)?;
    u64::try_from(v).map_err(|_| DbError::Corrupt(format!("negative {column}")))
}

pub(super) fn get_opt_u64(row: &AnyRow, column: &str) -> Result<Option<u64>, DbError> {
    let v: Option<i64> = row.try_get(column)?;
    v.map(|v| u64::try_from(v).map_err(|_| DbError::Corrupt(format!("negative {column}"))))
        .transpose()
}

pub(super) fn get_parsed<T: FromStr>(row: &AnyRow, column: &str) -> Result<T, DbError> {
    let v: String = row.try_get(column)?;
    v.parse().map_err(|_| DbError::Corrupt(format!("bad {column}: {v:?}")))
}

pub(super) fn hex(v: impl std::fmt::LowerHex) -> String {
    format!("{v:#x}")
}

impl Store {
    /// Opens (and migrates) the database at `url`.
    pub(crate) async fn open(url: &str) -> Result<Self, DbError> {
        Ok(Self { pool: connect(url, "bridge", MIGRATIONS).await? })
    }
    /// Closes the pool.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, B256, Bytes, U256};
    use rollup_protocol::{UserDeposit, WithdrawalMessage};

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
            L1Event::OutputsDeleted(1, 13),
            L1Event::Output(output(1, 14, 30)),
        ];
        store.apply_l1(&events, &[], 15).await.unwrap();
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
        store.apply_l2(std::slice::from_ref(&withdrawal), &[(3, 77)], &[], 40).await.unwrap();
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
            L1Event::OutputChallenged(1, true, 16, 0),
            L1Event::OutputChallenged(0, true, 16, 1),
            L1Event::OutputChallenged(0, false, 16, 2),
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
        store.apply_l1(&events, &[], 17).await.unwrap();
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
        store.apply_l1(&[L1Event::OutputsDeleted(1, 17)], &[], 18).await.unwrap();
        assert_eq!(store.first_challenged_output().await.unwrap(), None);
    }

    /// A rollback forgets exactly what the dropped blocks added or flagged,
    /// on either chain, with the recorded hashes and the cursor.
    #[tokio::test(flavor = "multi_thread")]
    async fn roll_back_forgets_the_dropped_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&rollup_db::sqlite_url(dir.path(), "bridge.db")).await.unwrap();
        let deposit = |index: u64, l1_block: u64| {
            let deposit = UserDeposit {
                from: Address::repeat_byte(1),
                to: Address::repeat_byte(2),
                index,
                mint: U256::from(1u64),
                value: U256::ZERO,
                gas_limit: 100_000,
                data: Bytes::new(),
            };
            DepositRow {
                l2_tx_hash: deposit.to_tx().tx_hash(),
                deposit,
                l1_tx_hash: B256::with_last_byte(index as u8),
                l1_block,
                log_index: 0,
                l2_block: None,
            }
        };
        let batch = |index: u64, l1_block: u64| BatchRow {
            index,
            l1_block,
            log_index: 0,
            l1_tx_hash: B256::repeat_byte(index as u8),
            l1_timestamp: 1,
            l2_start: index * 10 + 1,
            l2_end: index * 10 + 10,
            commitment: B256::ZERO,
            is_blob: false,
        };
        let output = |index: u64, l1_block: u64| OutputRow {
            index,
            l1_block,
            log_index: 1,
            l1_tx_hash: B256::repeat_byte(3),
            l2_block: index * 10 + 10,
            output_root: B256::repeat_byte(4),
            timestamp: 100,
            deleted: false,
            challenged: false,
        };
        let hashes: Vec<(u64, B256)> =
            (1..=12).map(|n| (n, B256::with_last_byte(n as u8))).collect();
        let events = vec![
            L1Event::Deposit(deposit(0, 5)),
            L1Event::Batch(batch(0, 5)),
            L1Event::Output(output(0, 6)),
            L1Event::Output(output(1, 7)),
            L1Event::OutputChallenged(0, true, 8, 0),
            L1Event::Deposit(deposit(1, 10)),
            L1Event::Batch(batch(1, 10)),
            L1Event::OutputsDeleted(1, 11),
            L1Event::OutputChallenged(0, false, 11, 1),
            L1Event::Finalized(FinalizationRow {
                withdrawal_hash: B256::repeat_byte(7),
                l1_tx_hash: B256::repeat_byte(8),
                l1_block: 12,
                success: true,
            }),
        ];
        store.apply_l1(&events, &hashes, 13).await.unwrap();
        let withdrawal = |nonce: u64, l2_block: u64| WithdrawalRow {
            hash: B256::with_last_byte(0x80 + nonce as u8),
            message: WithdrawalMessage {
                nonce: U256::from(nonce),
                sender: Address::repeat_byte(6),
                target: Address::repeat_byte(7),
                value: U256::from(1u64),
                gas_limit: U256::from(100_000u64),
                data: Bytes::new(),
            },
            l2_block,
            l2_tx_hash: B256::repeat_byte(8),
        };
        store
            .apply_l2(&[withdrawal(0, 3), withdrawal(1, 9)], &[(0, 4), (1, 9)], &hashes, 13)
            .await
            .unwrap();
        assert_eq!(store.block_hashes(Chain::L1).await.unwrap().first(), Some(&(12, hashes[11].1)));

        // L1 blocks 9.. are dropped.
        store.roll_back(Chain::L1, 9).await.unwrap();
        assert_eq!(store.cursor(Chain::L1).await.unwrap(), 9);
        assert_eq!(store.block_hashes(Chain::L1).await.unwrap().first(), Some(&(8, hashes[7].1)));
        assert_eq!(store.deposits_by_tx(B256::with_last_byte(1)).await.unwrap(), vec![]);
        assert_eq!(store.deposits_by_tx(B256::with_last_byte(0)).await.unwrap().len(), 1);
        let batches = store.batches(None, 10).await.unwrap();
        assert_eq!(batches.iter().map(|b| b.index).collect::<Vec<_>>(), vec![0]);
        // Output 1's deletion (block 11) is undone; output 0's challenge
        // (block 8) stands, its end (block 11) is undone.
        let outputs = store.outputs(None, 10).await.unwrap();
        assert_eq!(
            outputs.iter().map(|o| (o.index, o.deleted, o.challenged)).collect::<Vec<_>>(),
            vec![(1, false, false), (0, false, true)]
        );
        assert!(store.finalization(B256::repeat_byte(7)).await.unwrap().is_none());
        // The L2 side is untouched by an L1 rollback.
        assert_eq!(store.cursor(Chain::L2).await.unwrap(), 13);

        // L2 blocks 5.. are dropped: withdrawal 1 goes, deposit 0 (credited
        // in L2 block 4) stays credited.
        store.roll_back(Chain::L2, 5).await.unwrap();
        assert_eq!(store.cursor(Chain::L2).await.unwrap(), 5);
        assert!(store.withdrawal(withdrawal(1, 9).hash).await.unwrap().is_none());
        assert!(store.withdrawal(withdrawal(0, 3).hash).await.unwrap().is_some());
        let d0 = store.deposits_by_tx(B256::with_last_byte(0)).await.unwrap();
        assert_eq!(d0[0].l2_block, Some(4));
        store.roll_back(Chain::L2, 4).await.unwrap();
        assert!(store.uncredited_deposits(10).await.unwrap().iter().any(|d| d.deposit.index == 0));
        // Only the last KEPT_BLOCK_HASHES heights are kept.
        let many: Vec<(u64, B256)> = (1..=600).map(|n| (n, B256::ZERO)).collect();
        store.apply_l2(&[], &[], &many, 601).await.unwrap();
        let kept = store.block_hashes(Chain::L2).await.unwrap();
        assert_eq!((kept.len() as u64, kept[0].0), (writes::KEPT_BLOCK_HASHES, 600));
        store.close().await;
    }
}
