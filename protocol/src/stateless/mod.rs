//! Stateless execution: the state transition function run over a witness
//! (Merkle-Patricia proofs of the pre-state plus bytecodes) instead of the
//! full state, as the L1 `EXECUTE` precompile does to settle a dispute.
//!
//! # Witness
//!
//! A [`Witness`] holds the pre-state root, the RLP trie nodes (state trie and
//! storage tries, in one set, looked up by keccak256), the bytecodes, and the
//! block hashes `BLOCKHASH` read. It is RLP-encoded for transport
//! ([`Witness::encode`]): `[state_root, [node, ...], [code, ...], [[number,
//! hash], ...]]`.
//!
//! # Execution
//!
//! [`WitnessDb`] implements [`crate::StateDb`] over a witness. Reads walk
//! [`SparseTrie`]s; writes are buffered and applied when the state root is
//! computed, account by account in key order: for each trie, insertions and
//! updates first, then deletions (so a branch collapsed by a deletion keeps
//! a child holding a key of the final trie or a key the block touched).
//! Every access to data absent from the witness (a trie node, a code, a
//! block hash) is an error, so a witness that lacks anything makes
//! [`execute_stateless`] fail with [`crate::StfError::Database`]; it never
//! yields a different root. Tampered nodes are simply absent (nodes are
//! addressed by hash), and nodes must be canonically encoded. Extra, unused
//! witness data is ignored.
//!
//! [`execute_stateless`] also checks the witness against the parent header:
//! its state root must be the parent's, and a block hash it gives for the
//! parent's number must be the parent's hash. Older block hashes cannot be
//! checked from a single header: they are trusted witness data.
//!
//! # Generation
//!
//! [`build_witness`] executes the block on a copy of the full pre-state
//! ([`crate::MemoryState`]) through a recording database, which notes every
//! account, slot, code and block hash read or written (including the reads of
//! deposit mints, fee payments and the withdrawals-root slot). It then takes
//! multiproofs from the pre-state of all those accounts and slots. A deletion
//! that collapses a branch needs the branch's remaining child: for every
//! account or slot deleted by the block, the generator also proves the key's
//! predecessor and successor in the *post*-state key set; the remaining child
//! always contains one of them (the only keys left under the branch are the
//! final keys and keys still to be deleted, whose proofs are included).
//! Finally it executes the block statelessly over that witness, checks the
//! resulting block hash against the full execution, and keeps only the nodes,
//! codes and block hashes that stateless execution actually used: the
//! witness is minimal, and removing any part of it makes execution fail.
//! Cost: the block runs three times, and the pre-state tries are rebuilt
//! once (all storage roots included), which is what one state root of
//! [`crate::MemoryState`] costs without its cache.

mod db;
mod sparse_trie;
mod witness;

pub use db::WitnessDb;
pub use sparse_trie::SparseTrie;
pub use witness::{Witness, build_witness, build_witness_with_ancestors};

use crate::{BlockInputs, ExecutedBlock, RollupConfig, StfError, execute_block};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, U256};

/// Why stateless execution (or witness handling) failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// A trie node needed by execution is not in the witness.
    #[error("trie node {0} is not in the witness")]
    MissingNode(B256),
    /// A trie node (named by its hash, or the hash of the node embedding it)
    /// does not decode or is not canonically encoded.
    #[error("trie node {0} is malformed")]
    InvalidNode(B256),
    /// The trie's shape is impossible for 32-byte keys.
    #[error("malformed trie: {0}")]
    MalformedTrie(&'static str),
    /// A bytecode needed by execution is not in the witness.
    #[error("code {0} is not in the witness")]
    MissingCode(B256),
    /// A block hash read by `BLOCKHASH` is not in the witness.
    #[error("hash of block {0} is not in the witness")]
    MissingBlockHash(u64),
    /// The witness gives two hashes for one block, or a hash for the parent
    /// block that is not the parent header's.
    #[error("witness hash of block {0} is inconsistent")]
    InvalidBlockHash(u64),
    /// An account leaf does not decode.
    #[error("account {0} does not decode")]
    InvalidAccount(Address),
    /// A storage leaf does not decode.
    #[error("storage slot {slot} of {address} does not decode")]
    InvalidStorage {
        /// The account.
        address: Address,
        /// The slot.
        slot: U256,
    },
    /// The witness is not for the parent's state.
    #[error("witness state root {witness} is not the parent's state root {parent}")]
    StateRootMismatch {
        /// The witness's state root.
        witness: B256,
        /// The parent header's state root.
        parent: B256,
    },
    /// The witness bytes do not decode.
    #[error("witness encoding: {0}")]
    Decode(alloy_rlp::Error),
    /// Witness generation: stateless execution over the generated witness
    /// did not reproduce the full execution (a generator bug, or a pre-state
    /// that is not the parent's).
    #[error("stateless execution gave block {got}, full execution {expected}")]
    Unreproducible {
        /// Block hash of the full execution.
        expected: B256,
        /// Block hash of the stateless execution.
        got: B256,
    },
}

impl revm::database_interface::DBErrorMarker for WitnessError {}

/// Executes one L2 block statelessly over `witness`: [`execute_block`] on a
/// [`WitnessDb`], after checking the witness against `parent` (see the
/// module docs). Any missing or inconsistent witness data is an error.
pub fn execute_stateless(
    config: &RollupConfig,
    witness: &Witness,
    parent: &Header,
    inputs: &BlockInputs,
) -> Result<ExecutedBlock, StfError<WitnessError>> {
    let mut db = WitnessDb::for_parent(witness, parent).map_err(StfError::Database)?;
    execute_block(config, &mut db, parent, inputs)
}
