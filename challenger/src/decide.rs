//! The challenger's decisions, apart from the reads and transactions that
//! feed and carry them out: which output to dispute and with which root,
//! and what to do in a game (move, prove, claim a timeout, or wait). Each is
//! a function of what was read, so it is tested here without an L1.

use alloy_primitives::{Address, B256};
use rollup_contracts::{DisputeGameFactory, Side};
use rollup_protocol::{BisectionMove, BisectionState, next_move};

/// What the derived chain says of a proposed output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Its block is not derived yet: check it again later.
    NotDerived,
    /// It equals the derived output root.
    Valid,
    /// It differs; `derived` is the root derived from L1 data.
    Invalid {
        /// The derived root at the output's block.
        derived: B256,
    },
}

/// Judges output root `proposed` against `derived`, the derived root at its
/// block (`None` while not derived).
pub(crate) fn judge_output(derived: Option<B256>, proposed: B256) -> Verdict {
    match derived {
        None => Verdict::NotDerived,
        Some(derived) if derived == proposed => Verdict::Valid,
        Some(derived) => Verdict::Invalid { derived },
    }
}

/// Whether an output judged `verdict` is disputed now: a wrong output still
/// in its challenge window. The outputs are checked in index order, so the
/// first one disputed is the earliest wrong one (later ones fall with it).
pub(crate) const fn should_dispute(verdict: Verdict, is_final: bool) -> bool {
    matches!(verdict, Verdict::Invalid { .. }) && !is_final
}

/// The counter-claim of an on-demand challenge of an output whose proposed
/// root is `proposed`: the derived root when the output is wrong; when it is
/// right, a root that differs from it (`keccak256(derived)`), so the game is
/// played and lost by the challenger.
pub(crate) fn counter_claim(derived: B256, proposed: B256) -> B256 {
    if derived == proposed { alloy_primitives::keccak256(derived) } else { derived }
}

/// What to do in one game in progress on this pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Nothing now: not a game of ours, not derived far enough, or the
    /// opponent still has time on its clock.
    Wait,
    /// One block is left and derived: prove it with EXECUTE.
    Prove,
    /// Our turn: answer the pending midpoint and post ours, as `side`.
    Move {
        /// The side moving.
        side: Side,
        /// The move.
        mv: BisectionMove,
    },
    /// The opponent's clock has run out: claim the game.
    ClaimTimeout,
}

/// What the challenger sees of a game.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GameView<'a> {
    /// The game as the factory returns it.
    pub(crate) game: &'a DisputeGameFactory::Game,
    /// The disputed output's proposed root.
    pub(crate) output_root: B256,
    /// The derived output root at the disputed output's block.
    pub(crate) derived_output_root: B256,
    /// The challenger's attacker address (the CHALLENGER side of its games).
    pub(crate) attacker: Address,
    /// Whether a defender key plays the PROPOSER side of correct outputs.
    pub(crate) has_defender: bool,
    /// L1 time now, unix seconds.
    pub(crate) now: u64,
    /// The factory's chess clock per side, seconds.
    pub(crate) clock: u64,
    /// The derived L2 head.
    pub(crate) derived_head: u64,
}

/// Decides the action in a game in progress, `derived` giving the derived
/// output root at an L2 block (`None` while not derived).
pub(crate) fn game_action(view: GameView<'_>, derived: impl Fn(u64) -> Option<B256>) -> Action {
    let g = view.game;
    let Ok(turn) = Side::try_from(g.turn) else { return Action::Wait };
    let mut sides = Vec::new();
    if g.challenger == view.attacker {
        sides.push(Side::Challenger);
    }
    if view.has_defender && view.derived_output_root == view.output_root {
        sides.push(Side::Proposer);
    }
    if sides.is_empty() {
        return Action::Wait;
    }
    if g.hi - g.lo == 1 && !g.hasPending {
        return if view.derived_head >= g.hi { Action::Prove } else { Action::Wait };
    }
    if sides.contains(&turn) {
        let state = BisectionState {
            lo: g.lo,
            hi: g.hi,
            pending: g.hasPending.then_some((g.pendingBlock, g.pendingRoot)),
        };
        return match next_move(state, derived) {
            Some(mv) => Action::Move { side: turn, mv },
            None => Action::Wait,
        };
    }
    let used = if turn == Side::Proposer { g.proposerClock } else { g.challengerClock };
    if used + view.now.saturating_sub(g.lastMoveAt) > view.clock {
        Action::ClaimTimeout
    } else {
        Action::Wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    fn root(b: u64) -> B256 {
        B256::from(U256::from(b + 1))
    }

    /// Honest roots everywhere.
    fn honest(b: u64) -> Option<B256> {
        Some(root(b))
    }

    const ATTACKER: Address = Address::repeat_byte(0xaa);

    /// A game over `[lo, hi]` opened by `challenger`, `turn` to move.
    fn game(challenger: Address, lo: u64, hi: u64, turn: Side) -> DisputeGameFactory::Game {
        DisputeGameFactory::Game {
            challenger,
            lo,
            hi,
            turn: turn as u8,
            lastMoveAt: 1_000,
            ..Default::default()
        }
    }

    fn view(g: &DisputeGameFactory::Game, proposed: B256) -> GameView<'_> {
        GameView {
            game: g,
            output_root: proposed,
            derived_output_root: root(16),
            attacker: ATTACKER,
            has_defender: true,
            now: 1_010,
            clock: 60,
            derived_head: 100,
        }
    }

    #[test]
    fn which_output_to_dispute() {
        assert_eq!(judge_output(None, root(1)), Verdict::NotDerived);
        assert_eq!(judge_output(Some(root(1)), root(1)), Verdict::Valid);
        let wrong = judge_output(Some(root(1)), root(2));
        assert_eq!(wrong, Verdict::Invalid { derived: root(1) });
        assert!(should_dispute(wrong, false));
        assert!(!should_dispute(wrong, true), "a final output cannot be disputed");
        assert!(!should_dispute(Verdict::Valid, false));
        assert!(!should_dispute(Verdict::NotDerived, false));
        // On demand: the derived root against a wrong output, a different
        // one against a right output.
        assert_eq!(counter_claim(root(1), root(2)), root(1));
        assert_ne!(counter_claim(root(1), root(1)), root(1));
    }

    #[test]
    fn moves_on_its_turn_answering_the_pending_midpoint() {
        // Our game against a wrong output at 16: the proposer claimed a wrong
        // root at the midpoint 8, so the challenger disagrees and bisects [0, 8].
        let mut g = game(ATTACKER, 0, 16, Side::Challenger);
        g.hasPending = true;
        g.pendingBlock = 8;
        g.pendingRoot = B256::repeat_byte(0xee);
        let action = game_action(view(&g, B256::repeat_byte(0xee)), honest);
        assert_eq!(
            action,
            Action::Move {
                side: Side::Challenger,
                mv: BisectionMove { agree: false, lo: 0, hi: 8, mid_root: root(4) }
            }
        );
        // An honest midpoint is agreed with: [8, 16], our root at 12.
        g.pendingRoot = root(8);
        let Action::Move { mv, .. } = game_action(view(&g, B256::repeat_byte(0xee)), honest) else {
            panic!("expected a move");
        };
        assert_eq!((mv.agree, mv.lo, mv.hi, mv.mid_root), (true, 8, 16, root(12)));
        // A root not derived yet: wait rather than guess.
        assert_eq!(game_action(view(&g, B256::repeat_byte(0xee)), |_| None), Action::Wait);
    }

    #[test]
    fn defends_a_correct_output_as_the_proposer_side() {
        // Someone else challenged a correct output: the defender key moves.
        let g = game(Address::repeat_byte(0xbb), 0, 16, Side::Proposer);
        let action = game_action(view(&g, root(16)), honest);
        assert!(matches!(action, Action::Move { side: Side::Proposer, .. }), "{action:?}");
        // Without a defender key, or against a wrong output: not our game.
        let mut v = view(&g, root(16));
        v.has_defender = false;
        assert_eq!(game_action(v, honest), Action::Wait);
        assert_eq!(game_action(view(&g, root(3)), honest), Action::Wait);
    }

    #[test]
    fn proves_the_last_block_once_derived() {
        let g = game(ATTACKER, 6, 7, Side::Proposer);
        assert_eq!(game_action(view(&g, root(0)), honest), Action::Prove);
        let mut v = view(&g, root(0));
        v.derived_head = 6;
        assert_eq!(game_action(v, honest), Action::Wait);
    }

    #[test]
    fn claims_a_timeout_only_once_the_opponents_clock_is_spent() {
        // The proposer's turn in our game, 30 s already used.
        let mut g = game(ATTACKER, 0, 16, Side::Proposer);
        g.proposerClock = 30;
        let mut v = view(&g, root(0));
        v.now = 1_030; // 30 + 30 = 60: not over the 60 s clock
        assert_eq!(game_action(v, honest), Action::Wait);
        v.now = 1_031;
        assert_eq!(game_action(v, honest), Action::ClaimTimeout);
        // The challenger's own clock does not count against the proposer.
        g.proposerClock = 0;
        g.challengerClock = 59;
        let v = GameView { game: &g, now: 1_031, ..view(&g, root(0)) };
        assert_eq!(game_action(v, honest), Action::Wait);
    }
}
