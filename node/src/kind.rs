//! What sets an L1 node apart from an L2 node, as one type instead of flags.

use revm::precompile::Precompiles;
use rollup_protocol::L1FeeScalars;

/// The chain a [`crate::Node`] runs: the few rules in which the L1 simulator
/// and the L2 sequencer differ. Everything else (state, blocks, mempool,
/// JSON-RPC) is shared.
#[derive(Clone, Copy, Debug)]
pub enum ChainKind {
    /// The L1: accepts EIP-4844 blob transactions (KZG-checked admission,
    /// the blob fee market of [`rollup_protocol::l1_blob`], revm's blob
    /// environment) and runs `precompiles` (Prague's plus EXECUTE).
    L1 {
        /// The precompile set of every call and transaction.
        precompiles: &'static Precompiles,
    },
    /// An L2: no blob transactions, Prague's precompiles, and every user
    /// transaction pays the L1 data fee on top of gas (OP Ecotone).
    L2 {
        /// The L1 data fee scalars (millionths), charged in pool admission.
        l1_fee: L1FeeScalars,
    },
}

impl ChainKind {
    /// `l1` or `l2`: the `chain` label of the node's metrics.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::L1 { .. } => "l1",
            Self::L2 { .. } => "l2",
        }
    }

    /// Whether blob transactions are accepted (the L1 only).
    pub const fn blobs(&self) -> bool {
        matches!(self, Self::L1 { .. })
    }

    /// The precompile set when it is not Prague's (the L1's).
    pub const fn precompiles(&self) -> Option<&'static Precompiles> {
        match self {
            Self::L1 { precompiles } => Some(precompiles),
            Self::L2 { .. } => None,
        }
    }

    /// The L1 data fee scalars (an L2's), `None` on the L1.
    pub const fn l1_fee(&self) -> Option<L1FeeScalars> {
        match self {
            Self::L1 { .. } => None,
            Self::L2 { l1_fee } => Some(*l1_fee),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_l1_takes_blobs_and_only_an_l2_charges_the_l1_fee() {
        let l1 = ChainKind::L1 { precompiles: Precompiles::prague() };
        assert!(l1.blobs());
        assert!(l1.precompiles().is_some());
        assert_eq!(l1.l1_fee(), None);
        let l2 = ChainKind::L2 { l1_fee: L1FeeScalars::BLOBS };
        assert!(!l2.blobs());
        assert!(l2.precompiles().is_none());
        assert_eq!(l2.l1_fee(), Some(L1FeeScalars::BLOBS));
    }
}
