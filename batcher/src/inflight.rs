//! The proposer's transactions in flight: which outputs are due, and the
//! queue of proposals and bond reclaims sent and not yet settled, in the
//! order they were sent (their nonce order, so the order they are mined).
//!
//! Rules (the `OutputOracle` takes proposals in strictly increasing L2 block
//! order, `BlockNumberNotIncreasing`, and only of batched blocks,
//! `BlockNotBatched`):
//! - the next output is the first multiple of the output interval after the
//!   newest output proposed, on the oracle or in flight
//!   ([`InFlight::resume_after`]), so none is proposed twice or skipped;
//! - an output is due once its block is safe and batched ([`due_outputs`]);
//! - results are taken in the order sent ([`InFlight::pop_settled`]): a
//!   transaction that settled behind one still pending waits for it;
//! - a proposal that fails (reverts, is dropped past the transaction
//!   manager's timeout) stops new proposals until everything sent before
//!   it has settled; the proposer then resumes from the oracle's newest
//!   output ([`InFlight::failed`]).

use alloy_primitives::B256;
use std::collections::VecDeque;

/// What one proposer transaction does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `OutputOracle.propose` of `root`, the output root of L2 block `l2_block`.
    Propose {
        /// The L2 block.
        l2_block: u64,
        /// The proposed output root.
        root: B256,
    },
    /// `OutputOracle.reclaimBond` of the output at `index`.
    Reclaim {
        /// The output index.
        index: u64,
    },
}

/// A transaction being confirmed.
pub(crate) trait Settling {
    /// Whether its outcome (confirmed, reverted, failed) is known.
    fn is_settled(&self) -> bool;
}

/// The proposer's transactions in flight, oldest first.
#[derive(Debug)]
pub(crate) struct InFlight<H> {
    queue: VecDeque<(Action, H)>,
    /// A proposal failed: nothing more is proposed until the queue is empty.
    draining: bool,
}

impl<H> Default for InFlight<H> {
    fn default() -> Self {
        Self { queue: VecDeque::new(), draining: false }
    }
}

impl<H: Settling> InFlight<H> {
    /// Records a transaction just sent.
    pub(crate) fn push(&mut self, action: Action, handle: H) {
        self.queue.push_back((action, handle));
    }

    /// Transactions in flight.
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Proposals in flight.
    pub(crate) fn proposals(&self) -> usize {
        self.queue.iter().filter(|(a, _)| matches!(a, Action::Propose { .. })).count()
    }

    /// Whether the bond of output `index` is being reclaimed.
    pub(crate) fn reclaiming(&self, index: u64) -> bool {
        self.queue.iter().any(|(a, _)| *a == Action::Reclaim { index })
    }

    /// The settled transactions at the front of the queue, in the order
    /// they were sent; one settled behind an unsettled one stays.
    pub(crate) fn pop_settled(&mut self) -> Vec<(Action, H)> {
        let mut settled = Vec::new();
        while self.queue.front().is_some_and(|(_, h)| h.is_settled()) {
            settled.extend(self.queue.pop_front());
        }
        settled
    }

    /// Whether a proposal failed and the queue is draining: nothing new
    /// (not even a bond reclaim) should be sent, so that it empties.
    pub(crate) const fn draining(&self) -> bool {
        self.draining
    }

    /// A proposal failed: the proposals sent after it were built on it.
    /// No new proposal until every transaction in flight has settled.
    pub(crate) const fn failed(&mut self) {
        self.draining = true;
    }

    /// The L2 block after which the next output is proposed, given the
    /// oracle's newest (`OutputOracle.latestBlockNumber()`): the newest
    /// proposal in flight, or the oracle's when none is (or when the oracle
    /// is ahead). `None` while draining after a failure; once drained, the
    /// oracle's.
    pub(crate) fn resume_after(&mut self, oracle_latest: u64) -> Option<u64> {
        if self.draining {
            if !self.queue.is_empty() {
                return None;
            }
            self.draining = false;
        }
        let in_flight = self.queue.iter().rev().find_map(|(a, _)| match a {
            Action::Propose { l2_block, .. } => Some(*l2_block),
            Action::Reclaim { .. } => None,
        });
        Some(in_flight.map_or(oracle_latest, |b| b.max(oracle_latest)))
    }
}

/// The output blocks due now, oldest first, at most `room` of them: the
/// multiples of `interval` after `after` that are safe (at most `safe`, the
/// L2 safe head) and batched (below `next_unbatched`,
/// `BatchInbox.nextL2Block()`). An interval of 0 counts as 1.
pub(crate) fn due_outputs(
    after: u64,
    interval: u64,
    safe: u64,
    next_unbatched: u64,
    room: usize,
) -> Vec<u64> {
    let interval = interval.max(1);
    let mut due = Vec::new();
    let mut block = next_output(after, interval);
    while due.len() < room && block <= safe && block < next_unbatched {
        due.push(block);
        let Some(next) = block.checked_add(interval) else { break };
        block = next;
    }
    due
}

/// The first multiple of `interval` (at least 1) after `after`, saturating.
pub(crate) const fn next_output(after: u64, interval: u64) -> u64 {
    let interval = if interval == 0 { 1 } else { interval };
    (after / interval).saturating_add(1).saturating_mul(interval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{cell::Cell, rc::Rc};

    /// A handle whose settlement the test decides.
    #[derive(Clone, Debug, Default)]
    struct Fake(Rc<Cell<bool>>);

    impl Fake {
        fn settle(&self) {
            self.0.set(true);
        }
    }

    impl Settling for Fake {
        fn is_settled(&self) -> bool {
            self.0.get()
        }
    }

    fn propose(l2_block: u64) -> Action {
        Action::Propose { l2_block, root: B256::with_last_byte(l2_block as u8) }
    }

    #[test]
    fn due_outputs_are_every_interval_safe_and_batched_up_to_the_room() {
        assert_eq!(due_outputs(0, 4, 18, 17, 8), [4, 8, 12, 16]);
        // Safe bounds them; batched (strictly below nextL2Block) too.
        assert_eq!(due_outputs(0, 4, 11, 100, 8), [4, 8]);
        assert_eq!(due_outputs(0, 4, 100, 12, 8), [4, 8]);
        // At most `room`; none when there is no room.
        assert_eq!(due_outputs(0, 4, 100, 100, 2), [4, 8]);
        assert!(due_outputs(0, 4, 100, 100, 0).is_empty());
        // After a block that is not a multiple: the next multiple.
        assert_eq!(due_outputs(5, 4, 100, 100, 2), [8, 12]);
        assert_eq!(due_outputs(8, 4, 100, 100, 1), [12]);
        // Nothing safe yet.
        assert!(due_outputs(0, 4, 3, 100, 8).is_empty());
        // Interval 0 counts as 1; the end of u64 does not wrap.
        assert_eq!(due_outputs(0, 0, 3, 100, 8), [1, 2, 3]);
        assert!(due_outputs(u64::MAX - 1, 4, u64::MAX, u64::MAX, 8).is_empty());
        assert_eq!(next_output(u64::MAX, 4), u64::MAX);
    }

    #[test]
    fn proposals_continue_after_the_newest_in_flight_and_settle_in_order() {
        let mut q = InFlight::default();
        assert_eq!(q.resume_after(8), Some(8));
        let handles: Vec<Fake> = (0..3).map(|_| Fake::default()).collect();
        for (i, h) in handles.iter().enumerate() {
            q.push(propose(12 + 4 * i as u64), h.clone());
        }
        q.push(Action::Reclaim { index: 0 }, Fake::default());
        assert_eq!((q.len(), q.proposals()), (4, 3));
        assert!(q.reclaiming(0) && !q.reclaiming(1));
        // The next output comes after the newest proposal in flight (20), not
        // after the oracle's (8); the reclaim behind it does not count.
        assert_eq!(q.resume_after(8), Some(20));
        assert_eq!(due_outputs(20, 4, 100, 100, 8 - q.len()), [24, 28, 32, 36]);
        // The second settles first: it waits for the first.
        handles[1].settle();
        assert!(q.pop_settled().is_empty());
        handles[0].settle();
        let settled: Vec<Action> = q.pop_settled().into_iter().map(|(a, _)| a).collect();
        assert_eq!(settled, [propose(12), propose(16)]);
        // The oracle ahead of what is in flight (an earlier run's proposal
        // landed): resume after the oracle's.
        assert_eq!(q.resume_after(40), Some(40));
    }

    #[test]
    fn a_failed_proposal_drains_the_queue_then_resumes_from_the_oracle() {
        let mut q = InFlight::default();
        let (a, b) = (Fake::default(), Fake::default());
        q.push(propose(4), a.clone());
        q.push(propose(8), b.clone());
        a.settle();
        assert_eq!(q.pop_settled().len(), 1);
        // Block 4's proposal reverted: 8 was built on it. Nothing new is
        // proposed while 8 is in flight, whatever the oracle says.
        q.failed();
        assert!(q.draining());
        assert_eq!(q.resume_after(0), None);
        assert_eq!(q.resume_after(8), None);
        b.settle();
        assert_eq!(q.pop_settled().len(), 1);
        // Drained: resume from the oracle's newest output, re-read.
        assert_eq!(q.resume_after(0), Some(0));
        assert!(!q.draining());
        assert_eq!(due_outputs(0, 4, 9, 100, 8), [4, 8]);
        // And the queue works normally again.
        q.push(propose(4), Fake::default());
        assert_eq!(q.resume_after(0), Some(4));
    }
}
