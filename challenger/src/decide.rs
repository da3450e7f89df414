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

/// What the challenger knows of one live output of the `OutputOracle`, as
/// judged against the derived chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JudgedOutput {
    /// The L2 block it is the output root of.
    pub(crate) l2_block: u64,
    /// The proposed output root.
    pub(crate) root: B256,
    /// L1 timestamp of the proposal, unix seconds (its challenge window
    /// runs from here).
    pub(crate) timestamp: u64,
    /// What the derived chain says of it.
    pub(crate) verdict: Verdict,
}

/// A dispute game in progress on the `DisputeGameFactory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpenGame {
    /// Game id.
    pub(crate) game_id: u64,
    /// The disputed output's index.
    pub(crate) output_index: u64,
    /// Whether this challenger's attacker key opened it (its bond is ours).
    pub(crate) ours: bool,
}

/// The oracle's finality rule (`OutputOracle.isFinal`): an output is final
/// once `challenge_window` seconds have passed since its proposal and no
/// game disputes it or an earlier output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Finality {
    /// L1 time now, unix seconds.
    pub(crate) now: u64,
    /// `OutputOracle.challengeWindow()`, seconds.
    pub(crate) challenge_window: u64,
}

/// Which output the challenger disputes, and why not others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DisputePlan {
    /// Every judged output matches the derived chain: nothing to dispute.
    NothingWrong,
    /// Open a game against output `index`, the earliest wrong one, claiming
    /// `counter` (the derived root) at its block.
    Open {
        /// Output index.
        index: u64,
        /// The derived root at its block.
        counter: B256,
    },
    /// The earliest wrong output is disputed already by game `game_id`
    /// (`ours` or someone else's): wait for it. Later outputs fall with it
    /// if the challenger side wins, so no bond is posted against them.
    Disputed {
        /// Output index.
        index: u64,
        /// The game disputing it.
        game_id: u64,
        /// Whether this challenger opened that game.
        ours: bool,
    },
    /// The earliest wrong output is final: the contracts no longer let
    /// anyone dispute it (nor, through it, any later output, whose games
    /// could not be won by proof from its wrong root).
    Final {
        /// Output index.
        index: u64,
    },
    /// This challenger already lost a game about this very output (same
    /// index and root): it does not bond again (the loss means its derived
    /// root disagrees with the L1's EXECUTE, or its moves were too slow;
    /// a second bond would most likely be lost the same way).
    GaveUp {
        /// Output index.
        index: u64,
    },
}

impl DisputePlan {
    /// The output this plan disputes or waits on, if any.
    pub(crate) const fn target(&self) -> Option<u64> {
        match *self {
            Self::NothingWrong => None,
            Self::Open { index, .. }
            | Self::Disputed { index, .. }
            | Self::Final { index }
            | Self::GaveUp { index } => Some(index),
        }
    }
}

/// One dispute per fault: decides which output to dispute given the live
/// outputs judged so far (`outputs[i]` is output `i`, judged in index order,
/// so every output before the first wrong one matches the derived chain),
/// the games in progress, the oracle's finality rule and the outputs this
/// challenger already lost a game about (`lost`: index and proposed root).
///
/// Only the earliest wrong output is disputed: when the challenger side
/// wins, `DisputeGameFactory._resolve` deletes that output and every later
/// one (cancelling the games about them and refunding their bonds), so a
/// bond against a later output buys nothing. Its predecessor matches the
/// derived chain, so the game's agreed anchor (`loRoot`) is the derived
/// root there and the last block can be proven. At most one bond per fault
/// is at risk: [`DisputePlan::Open`] only while no game disputes that
/// output, and never again after losing about the same output.
pub(crate) fn dispute_plan(
    outputs: &[JudgedOutput],
    open_games: &[OpenGame],
    finality: Finality,
    lost: &[(u64, B256)],
) -> DisputePlan {
    let Some((index, output, derived)) =
        outputs.iter().enumerate().find_map(|(i, o)| match o.verdict {
            Verdict::Invalid { derived } => Some((i as u64, o, derived)),
            Verdict::Valid | Verdict::NotDerived => None,
        })
    else {
        return DisputePlan::NothingWrong;
    };
    if let Some(g) = open_games.iter().find(|g| g.output_index == index) {
        return DisputePlan::Disputed { index, game_id: g.game_id, ours: g.ours };
    }
    // `OutputOracle.isFinal`: a game about this or an earlier output keeps
    // it from being final.
    let challenged_at_or_before = open_games.iter().any(|g| g.output_index <= index);
    let window_over = finality.now >= output.timestamp.saturating_add(finality.challenge_window);
    if window_over && !challenged_at_or_before {
        return DisputePlan::Final { index };
    }
    if lost.contains(&(index, output.root)) {
        return DisputePlan::GaveUp { index };
    }
    DisputePlan::Open { index, counter: derived }
}

/// The output index to judge from again after an L1 reorg: the first one
/// proposed after `fork_timestamp` (the L1 timestamp of the last L1 block
/// kept; its proposal may be gone or replaced) or about an L2 block at or
/// after `first_rederived` (the first L2 block whose derivation may have
/// changed). Outputs before it are unchanged on L1 and in the derivation.
pub(crate) fn recheck_from(
    outputs: &[JudgedOutput],
    fork_timestamp: u64,
    first_rederived: u64,
) -> u64 {
    outputs
        .iter()
        .position(|o| o.timestamp >= fork_timestamp || o.l2_block >= first_rederived)
        .unwrap_or(outputs.len()) as u64
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
///
/// Only moves the `DisputeGameFactory` accepts are chosen, so a refused
/// transaction is never resent every pass:
/// - `proveBlock` only when the derived root at `lo` is the game's agreed
///   `loRoot`: the proof opens with the preimage of the derived root there,
///   which the factory checks against `loRoot` (`BadPreimage()`, selector
///   `0x0579bd78`, otherwise). A game whose anchor is a wrong output (one
///   opened against a later output of a wrong chain) cannot be proven by
///   us; it ends on a clock (or a proof by the other side).
/// - `move` only on our side's turn with time left on its clock
///   (`ClockExpired()` otherwise) and while the bisection is not over
///   (`BisectionDone()`).
/// - `timeout` only once the clock of the side to move, not ours, is spent
///   (`ClockNotExpired()` otherwise).
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
    let used = if turn == Side::Proposer { g.proposerClock } else { g.challengerClock };
    let clock_spent = used.saturating_add(view.now.saturating_sub(g.lastMoveAt)) > view.clock;
    if g.hi - g.lo == 1 && !g.hasPending {
        if view.derived_head >= g.hi && derived(g.lo) == Some(g.loRoot) {
            return Action::Prove;
        }
    } else if sides.contains(&turn) {
        if clock_spent {
            return Action::Wait; // lost on the clock: the opponent claims it
        }
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
    if !sides.contains(&turn) && clock_spent { Action::ClaimTimeout } else { Action::Wait }
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
        let mut g = game(ATTACKER, 6, 7, Side::Proposer);
        g.loRoot = root(6);
        assert_eq!(game_action(view(&g, root(0)), honest), Action::Prove);
        let mut v = view(&g, root(0));
        v.derived_head = 6;
        assert_eq!(game_action(v, honest), Action::Wait);
    }

    /// The retry spam of issue 11: a game opened against a later output of
    /// a wrong chain has a wrong agreed root at `lo`, so `proveBlock` with
    /// the derived preimage reverts `BadPreimage()` (0x0579bd78) every time.
    /// It is not sent; the game ends on a clock.
    #[test]
    fn never_proves_from_an_anchor_the_derived_chain_disagrees_with() {
        let mut g = game(ATTACKER, 6, 7, Side::Proposer);
        g.loRoot = B256::repeat_byte(0xee); // a wrong output at block 6
        assert_eq!(game_action(view(&g, root(0)), honest), Action::Wait);
        // The proposer side's clock runs while nobody can move: once it is
        // spent, the challenger claims the game.
        let mut v = view(&g, root(0));
        v.now = g.lastMoveAt + 61;
        assert_eq!(game_action(v, honest), Action::ClaimTimeout);
        // Our side to move (nothing it may do): never a timeout claim
        // against ourselves.
        g.turn = Side::Challenger as u8;
        let mut v = view(&g, root(0));
        v.now = g.lastMoveAt + 61;
        assert_eq!(game_action(v, honest), Action::Wait);
    }

    #[test]
    fn does_not_move_once_its_own_clock_is_spent() {
        let mut g = game(ATTACKER, 0, 16, Side::Challenger);
        g.challengerClock = 50;
        let mut v = view(&g, B256::repeat_byte(0xee));
        v.now = g.lastMoveAt + 10; // 50 + 10 = 60: still allowed
        assert!(matches!(game_action(v, honest), Action::Move { .. }));
        v.now = g.lastMoveAt + 11; // `move` would revert ClockExpired()
        assert_eq!(game_action(v, honest), Action::Wait);
    }

    fn judged(verdicts: &[Verdict]) -> Vec<JudgedOutput> {
        verdicts
            .iter()
            .enumerate()
            .map(|(i, &verdict)| JudgedOutput {
                l2_block: 8 * (i as u64 + 1),
                root: B256::repeat_byte(i as u8 + 1),
                timestamp: 1_000 + 10 * i as u64,
                verdict,
            })
            .collect()
    }

    const NOW: Finality = Finality { now: 1_030, challenge_window: 60 };

    #[test]
    fn disputes_only_the_earliest_wrong_output() {
        let bad = Verdict::Invalid { derived: root(7) };
        let ok = Verdict::Valid;
        // Outputs 0 and 1 right, 2..=5 wrong (a sequencer fault): only 2.
        let outputs = judged(&[ok, ok, bad, bad, bad, bad]);
        assert_eq!(
            dispute_plan(&outputs, &[], NOW, &[]),
            DisputePlan::Open { index: 2, counter: root(7) }
        );
        // Once a game disputes 2 (ours or not), nothing more is opened.
        let ours = OpenGame { game_id: 4, output_index: 2, ours: true };
        assert_eq!(
            dispute_plan(&outputs, &[ours], NOW, &[]),
            DisputePlan::Disputed { index: 2, game_id: 4, ours: true }
        );
        let theirs = OpenGame { game_id: 9, output_index: 2, ours: false };
        assert_eq!(
            dispute_plan(&outputs, &[theirs], NOW, &[]),
            DisputePlan::Disputed { index: 2, game_id: 9, ours: false }
        );
        // Games about later outputs (older challengers, or someone else)
        // do not move the target.
        let later = OpenGame { game_id: 5, output_index: 4, ours: true };
        assert_eq!(
            dispute_plan(&outputs, &[later], NOW, &[]),
            DisputePlan::Open { index: 2, counter: root(7) }
        );
        // Nothing wrong, or wrong only beyond what is derived (not judged).
        assert_eq!(dispute_plan(&judged(&[ok, ok]), &[], NOW, &[]), DisputePlan::NothingWrong);
        assert_eq!(dispute_plan(&[], &[], NOW, &[]), DisputePlan::NothingWrong);
        assert_eq!(
            dispute_plan(&judged(&[ok, Verdict::NotDerived]), &[], NOW, &[]),
            DisputePlan::NothingWrong
        );
    }

    #[test]
    fn a_final_wrong_output_is_not_disputed_and_a_lost_one_not_twice() {
        let bad = Verdict::Invalid { derived: root(7) };
        let outputs = judged(&[Verdict::Valid, bad, bad]);
        // Output 1 was proposed at 1_010: final from 1_070 on.
        let late = Finality { now: 1_070, challenge_window: 60 };
        assert_eq!(dispute_plan(&outputs, &[], late, &[]), DisputePlan::Final { index: 1 });
        let early = Finality { now: 1_069, challenge_window: 60 };
        assert_eq!(
            dispute_plan(&outputs, &[], early, &[]),
            DisputePlan::Open { index: 1, counter: root(7) }
        );
        // A game about an earlier output keeps it from being final.
        let on_zero = OpenGame { game_id: 0, output_index: 0, ours: false };
        assert_eq!(
            dispute_plan(&outputs, &[on_zero], late, &[]),
            DisputePlan::Open { index: 1, counter: root(7) }
        );
        // Lost a game about output 1 with this root: no second bond; a new
        // output at that index (another root) is disputed again.
        let lost = [(1, outputs[1].root)];
        assert_eq!(dispute_plan(&outputs, &[], early, &lost), DisputePlan::GaveUp { index: 1 });
        let lost = [(1, B256::repeat_byte(0x77))];
        assert!(matches!(
            dispute_plan(&outputs, &[], early, &lost),
            DisputePlan::Open { index: 1, .. }
        ));
    }

    #[test]
    fn after_an_l1_reorg_outputs_are_judged_again_from_the_first_affected() {
        let outputs = judged(&[Verdict::Valid; 5]); // timestamps 1_000..=1_040, blocks 8..=40
        // The fork block is at 1_025: outputs 3 and 4 were proposed later.
        assert_eq!(recheck_from(&outputs, 1_025, 1_000), 3);
        // The derivation changed from L2 block 17 on: outputs 2 (block 24) on.
        assert_eq!(recheck_from(&outputs, 1_100, 17), 2);
        // Proposed in the fork block itself: judged again to be safe.
        assert_eq!(recheck_from(&outputs, 1_020, 1_000), 2);
        // Nothing affected.
        assert_eq!(recheck_from(&outputs, 1_100, 1_000), 5);
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
