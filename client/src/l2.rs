//! What the roles read from the L2 beyond the standard JSON-RPC.

use alloy_primitives::B256;
use rollup_protocol::batch::BatchBlock;
use serde::{Deserialize, Serialize};

/// The answer of the L2's `rollup_getBatchBlock(number)`: the block as a
/// batch carries it (timestamp, L1 origin, EIP-2718 user transactions; no
/// deposit, neither the L1-attributes deposit nor user deposits, which
/// derivation regenerates from L1) and
/// its hash, by which a reader notices that an L2 reorg replaced it. The
/// sequencer serves it; the batcher and verifier nodes read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedBatchBlock {
    /// The block's batch fields.
    #[serde(flatten)]
    pub block: BatchBlock,
    /// `keccak256(rlp(header))` of the L2 block.
    pub hash: B256,
}
