//! # rollup-db
//!
//! Database plumbing shared by every role: a sqlx `Any` pool over SQLite (a
//! file under the data dir, the default) or PostgreSQL, and migrations kept
//! per role.
//!
//! On PostgreSQL each role lives in its own schema (`search_path`), so several
//! roles can share one database without their tables or migration histories
//! colliding.
//!
//! Why a crate of its own: the node's chain store (below the RPC clients)
//! and the roles' stores (batcher, bridge: above them) both open their
//! databases here. In `rollup-client` it would make the node depend on the
//! RPC clients; in `rollup-node` it would make every role compile the node.
//! It depends on sqlx and nothing else of the workspace.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use sqlx::{
    AnyPool, Executor,
    any::AnyPoolOptions,
    migrate::{Migration, MigrationType, Migrator},
};
use std::{borrow::Cow, path::Path, time::Duration};

/// How long to wait for a database connection before failing.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of every SQLite connection:
/// - `synchronous=NORMAL`: in WAL mode, a committed transaction survives a
///   process crash (the WAL is written before COMMIT returns); only an OS
///   crash or power loss may lose the last commits (SQLite's docs,
///   "WAL mode ... synchronous=NORMAL");
/// - `cache_size=-65536`: a 64 MiB page cache (the default is 2 MiB), so
///   that the interior and leaf pages a block's writes touch stay cached
///   with a large state (an account index of 10^6 rows is about 80 MiB);
/// - `wal_autocheckpoint=16384`: a checkpoint every 64 MiB of WAL instead of
///   every 4 MiB; a full block of transfers writes several MiB, so the
///   default checkpointed inside nearly every commit and wrote the same hot
///   pages to the database file again each time.
const SQLITE_CONNECTION_PRAGMAS: &[&str] =
    &["PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=16384"];

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database failed or is unreachable.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data does not decode (corruption or an incompatible version).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database URL is not understood.
    #[error("unsupported database url {0:?}: expected sqlite:// or postgres://")]
    UnsupportedUrl(String),
    /// A block failed to be stored after it was executed, and the state could
    /// not be reloaded from the store: the in-memory state is ahead of it.
    #[error("the node's state is ahead of its store after a failed write; restart the node")]
    Diverged,
}

/// One migration of a role's schema, written for both backends.
#[derive(Clone, Copy, Debug)]
pub struct SchemaMigration {
    /// Version (increasing from 1).
    pub version: i64,
    /// Short description.
    pub description: &'static str,
    /// SQL for SQLite.
    pub sqlite: &'static str,
    /// SQL for PostgreSQL.
    pub postgres: &'static str,
}

/// The SQLite URL of `file` in `data_dir` (created if missing).
pub fn sqlite_url(data_dir: &Path, file: &str) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join(file).display())
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Connects to `url` and applies `migrations`. On PostgreSQL the role's
/// tables live in schema `namespace`.
pub async fn connect(
    url: &str,
    namespace: &str,
    migrations: &[SchemaMigration],
) -> Result<AnyPool, DbError> {
    sqlx::any::install_default_drivers();
    let postgres = is_postgres(url);
    if !postgres && !url.starts_with("sqlite:") {
        return Err(DbError::UnsupportedUrl(url.to_string()));
    }
    let url = if postgres {
        let admin = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect(url)
            .await?;
        admin.execute(format!("CREATE SCHEMA IF NOT EXISTS {namespace}").as_str()).await?;
        admin.close().await;
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}options=-c%20search_path%3D{namespace}")
    } else {
        url.to_string()
    };
    let pool = AnyPoolOptions::new()
        .max_connections(if postgres { 8 } else { 1 })
        .acquire_timeout(CONNECT_TIMEOUT)
        // Per-connection settings, on every connection the pool opens (it
        // replaces connections as they age).
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if !postgres {
                    for pragma in SQLITE_CONNECTION_PRAGMAS {
                        conn.execute(*pragma).await?;
                    }
                }
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    if !postgres {
        // WAL (a property of the database file) with synchronous=NORMAL is
        // durable across process crashes (kill -9): a committed transaction
        // is in the WAL before COMMIT returns.
        pool.execute("PRAGMA journal_mode=WAL").await?;
    }
    let migrator = Migrator {
        migrations: Cow::Owned(
            migrations
                .iter()
                .map(|m| {
                    Migration::new(
                        m.version,
                        Cow::Borrowed(m.description),
                        MigrationType::Simple,
                        Cow::Borrowed(if postgres { m.postgres } else { m.sqlite }),
                        false,
                    )
                })
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    migrator.run(&pool).await?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;

    async fn pragma(pool: &AnyPool, name: &str) -> String {
        let row = sqlx::query(&format!("PRAGMA {name}")).fetch_one(pool).await.unwrap();
        row.try_get::<i64, _>(0)
            .map(|v| v.to_string())
            .or_else(|_| row.try_get::<String, _>(0))
            .unwrap()
    }

    /// Every connection the pool opens carries the settings, not only the
    /// first: a connection that ages out is replaced by one that has them.
    #[tokio::test(flavor = "multi_thread")]
    async fn every_sqlite_connection_gets_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let pool = connect(&sqlite_url(dir.path(), "t.db"), "t", &[]).await.unwrap();
        for round in 0..2 {
            assert_eq!(pragma(&pool, "journal_mode").await, "wal", "round {round}");
            assert_eq!(pragma(&pool, "synchronous").await, "1", "NORMAL, round {round}");
            assert_eq!(pragma(&pool, "cache_size").await, "-65536", "round {round}");
            assert_eq!(pragma(&pool, "wal_autocheckpoint").await, "16384", "round {round}");
            // Take the pool's one connection out of it: the next query
            // opens a new one.
            let _closed = pool.acquire().await.unwrap().detach();
        }
    }
}
