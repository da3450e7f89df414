//! The bisection rule both honest players follow in a dispute game
//! (`DisputeGameFactory`): answer the opponent's midpoint claim by comparing
//! it with one's own output root at that block, then post one's own root at
//! the midpoint of the range that remains disputed. Each move halves the
//! range, so a range of `n` blocks needs at most `ceil(log2(n)) + 1` moves
//! before the last block is settled by the EXECUTE precompile.

use alloy_primitives::B256;

/// The part of a game's state a move depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BisectionState {
    /// Agreed block.
    pub lo: u64,
    /// Disputed block.
    pub hi: u64,
    /// The opponent's midpoint claim awaiting an answer, if any: (block, root).
    pub pending: Option<(u64, B256)>,
}

/// A move: the answer to the pending midpoint and the root at the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BisectionMove {
    /// Whether the pending midpoint claim is agreed with.
    pub agree: bool,
    /// Range after the answer.
    pub lo: u64,
    /// Range after the answer.
    pub hi: u64,
    /// Root at `(lo + hi) / 2`, or zero when `hi - lo == 1` (bisection over).
    pub mid_root: B256,
}

/// The honest move given `root_at(block)` (the player's own output roots);
/// `None` when a needed root is not known yet.
pub fn next_move(
    state: BisectionState,
    root_at: impl Fn(u64) -> Option<B256>,
) -> Option<BisectionMove> {
    let (agree, lo, hi) = match state.pending {
        None => (false, state.lo, state.hi),
        Some((block, root)) => {
            let agree = root_at(block)? == root;
            if agree { (true, block, state.hi) } else { (false, state.lo, block) }
        }
    };
    let mid_root = if hi - lo > 1 { root_at(lo + (hi - lo) / 2)? } else { B256::ZERO };
    Some(BisectionMove { agree, lo, hi, mid_root })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    /// Two honest views that diverge from block `bad` on: alternating moves
    /// narrow `[0, n]` to `[bad - 1, bad]` within `ceil(log2(n)) + 1` moves.
    #[test]
    fn bisection_finds_the_first_divergent_block() {
        for n in [2u64, 3, 7, 64, 100, 1000] {
            for bad in [1, n / 3 + 1, n / 2, n] {
                let bad = bad.max(1);
                let honest = |b: u64| Some(B256::from(U256::from(b)));
                let liar = |b: u64| {
                    Some(if b >= bad {
                        B256::from(U256::from(b + 1_000_000))
                    } else {
                        B256::from(U256::from(b))
                    })
                };
                let mut state = BisectionState { lo: 0, hi: n, pending: None };
                let mut moves = 0;
                let mut liar_turn = true; // the proposer side (the liar) moves first
                loop {
                    let m =
                        if liar_turn { next_move(state, liar) } else { next_move(state, honest) }
                            .unwrap();
                    moves += 1;
                    state = BisectionState {
                        lo: m.lo,
                        hi: m.hi,
                        pending: (m.hi - m.lo > 1).then(|| (m.lo + (m.hi - m.lo) / 2, m.mid_root)),
                    };
                    liar_turn = !liar_turn;
                    if state.pending.is_none() {
                        break;
                    }
                }
                assert_eq!((state.lo, state.hi), (bad - 1, bad), "n={n} bad={bad}");
                let bound = 64 - (n - 1).leading_zeros() as u64 + 1;
                assert!(moves <= bound, "n={n} bad={bad}: {moves} moves > {bound}");
            }
        }
    }
}
