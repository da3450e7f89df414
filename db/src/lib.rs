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
        .connect(&url)
        .await?;
    if !postgres {
        // WAL with synchronous=NORMAL is durable across process crashes
        // (kill -9): a committed transaction is in the WAL before COMMIT returns.
        pool.execute("PRAGMA journal_mode=WAL").await?;
        pool.execute("PRAGMA synchronous=NORMAL").await?;
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
