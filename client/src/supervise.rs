//! Supervision of a role's long-running tasks: failures are loud. A task
//! that ends (returns, panics or is aborted) while its role is running is
//! logged with the reason and reported through [`Supervisor::failed`], so the
//! process can exit non-zero instead of half-running (an L1 whose mining
//! task died while its RPC keeps answering, silently).

use futures::FutureExt;
use parking_lot::Mutex;
use std::{future::Future, panic::AssertUnwindSafe, sync::Arc};
use tokio::{
    sync::watch,
    task::{AbortHandle, JoinError, JoinHandle},
};
use tokio_util::sync::CancellationToken;

/// A task that ended while its role was running, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskExit {
    /// The role (`l1`, `sequencer`, `batcher`, `proposer`, `challenger`,
    /// `bridge`).
    pub role: &'static str,
    /// The task (`rpc`, `miner`, `producer`, ...).
    pub task: &'static str,
    /// Why it ended: `returned`, `panicked: <message>`, `was aborted`.
    pub reason: String,
}

impl std::fmt::Display for TaskExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the {} task of the {} role {}", self.task, self.role, self.reason)
    }
}

/// The supervisor of one role's tasks. A task's end counts as a failure
/// unless the role's shutdown token was cancelled first.
#[derive(Clone, Debug)]
pub struct Supervisor {
    role: &'static str,
    shutdown: CancellationToken,
    exits: watch::Sender<Option<TaskExit>>,
    aborts: Arc<Mutex<Vec<(&'static str, AbortHandle)>>>,
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".into())
}

impl Supervisor {
    /// A supervisor of `role`'s tasks; `shutdown` is the role's shutdown token.
    pub fn new(role: &'static str, shutdown: CancellationToken) -> Self {
        Self { role, shutdown, exits: watch::channel(None).0, aborts: Default::default() }
    }

    /// The same supervisor (same shutdown, same first exit) for tasks of
    /// another role run by the same process, e.g. the proposer beside the
    /// batcher in `rollup batcher`: their exits name `role`.
    pub fn with_role(&self, role: &'static str) -> Self {
        Self { role, ..self.clone() }
    }

    /// Spawns `task` under supervision.
    pub fn spawn(
        &self,
        task: &'static str,
        future: impl Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        // Panics are caught inside the task so their message is kept.
        let inner = tokio::spawn(async move {
            AssertUnwindSafe(future).catch_unwind().await.map_err(|p| panic_message(&*p))
        });
        self.aborts.lock().push((task, inner.abort_handle()));
        let this = self.clone();
        tokio::spawn(async move {
            let reason = match inner.await {
                Ok(Ok(())) => "returned".to_string(),
                Ok(Err(message)) => format!("panicked: {message}"),
                Err(e) => join_reason(&e),
            };
            this.ended(task, reason);
        })
    }

    /// Supervises a task spawned elsewhere (e.g. by [`crate::serve`]).
    pub fn watch(&self, task: &'static str, handle: JoinHandle<()>) -> JoinHandle<()> {
        self.aborts.lock().push((task, handle.abort_handle()));
        let this = self.clone();
        tokio::spawn(async move {
            let reason = match handle.await {
                Ok(()) => "returned".to_string(),
                Err(e) => join_reason(&e),
            };
            this.ended(task, reason);
        })
    }

    fn ended(&self, task: &'static str, reason: String) {
        if self.shutdown.is_cancelled() {
            return;
        }
        let exit = TaskExit { role: self.role, task, reason };
        tracing::error!(target: "supervisor", role = exit.role, task, reason = %exit.reason, "a role task ended while its role runs");
        self.exits.send_if_modified(|first| {
            let new = first.is_none();
            first.get_or_insert(exit);
            new
        });
    }

    /// The first task that ended while the role was running, if one did:
    /// while `Some`, the role is down.
    pub fn down(&self) -> Option<TaskExit> {
        self.exits.borrow().clone()
    }

    /// Resolves with the first task that ends while the role is running
    /// (never, if none does).
    pub async fn failed(&self) -> TaskExit {
        let mut exits = self.exits.subscribe();
        loop {
            if let Some(exit) = exits.borrow_and_update().clone() {
                return exit;
            }
            if exits.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Aborts the supervised task named `task`, as a crash would end it.
    /// For tests of what happens then; returns whether such a task exists.
    pub fn abort(&self, task: &str) -> bool {
        let aborts = self.aborts.lock();
        let found = aborts.iter().filter(|(name, _)| *name == task).count() > 0;
        for (_, handle) in aborts.iter().filter(|(name, _)| *name == task) {
            handle.abort();
        }
        found
    }
}

/// Runs `work` (seconds of CPU, e.g. building a large genesis state) on
/// tokio's blocking pool instead of an async worker, whose other tasks would
/// stall meanwhile; a panic in `work` resumes in the caller.
pub async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

fn join_reason(e: &JoinError) -> String {
    if e.is_cancelled() { "was aborted".into() } else { "panicked".into() }
}
