//! # rollup-node
//!
//! The EVM node core shared by the L1 simulator and the L2 sequencer: the
//! in-memory chain (blocks, receipts, world state), its durable store
//! (sqlx: SQLite or PostgreSQL, through [`rollup_db`]), the mempool with
//! geth's admission rules, and the Ethereum JSON-RPC server. Each role adds
//! its own block producer and extra RPC methods on top; where the L1 and an
//! L2 differ (blobs, precompiles, the L1 data fee) is one value,
//! [`ChainKind`].
//!
//! Only the chains link this crate (`rollup-l1-sim`, `rollup-sequencer`).
//! Roles that talk to a chain (batcher, challenger, bridge) use
//! `rollup-client` instead, so they do not compile the mempool, revm or axum.
//!
//! ## State, history and cost per block
//!
//! * **Senders** are recovered once, at pool admission, with libsecp256k1
//!   (alloy's `secp256k1` feature), and travel with the transaction
//!   ([`mempool::PoolTx`]) into block building; the L2 STF takes them
//!   recovered (`rollup_protocol::execute_recovered`).
//! * **State root**: the account state lives in memory
//!   (`rollup_protocol::MemoryState`) with the account trie and every storage
//!   trie (`rollup_protocol::IncrementalTrie`, node hashes cached); a block
//!   rehashes only the paths of the accounts and slots it touched.
//!   `eth_getProof` reads the same tries. The tries are rebuilt at start
//!   from the stored accounts, not persisted (the decision and its figures
//!   are below).
//! * **History**: each block is stored with its changeset (previous values)
//!   in one database transaction ([`ChainStore`]); [`Node::state_at`] serves
//!   every state method at any retained block (archive by default,
//!   [`Node::set_history_blocks`] keeps the last N; older blocks answer geth's
//!   `missing trie node`), and [`Node::unwind_to`] rolls everything back
//!   (reorgs, `evm_revert`). A read at block `n` costs O(changes since `n`)
//!   (a proof at an older block also copies the state once).
//! * **Tracing past transactions** (`debug_traceTransaction`,
//!   `debug_traceBlock*`, `trace_transaction`, `trace_block`): the block is
//!   re-executed on [`Node::state_before`] (its parent's state, with the
//!   dev-method changes recorded before it) behind a copy-on-write
//!   [`ReplayDb`], by the chain's own [`BlockReplayer`] (the L1 simulator's
//!   block builder, the L2's STF), each traced transaction under its own
//!   revm-inspectors inspector ([`replay`]).
//! * **Blocks** are read from the store: the chain holds the last
//!   [`RECENT_BLOCKS`] blocks and the last [`RECENT_HASHES`] block hashes
//!   ([`Chain::footprint`]), [`Node::block`] reads older ones through a
//!   cache of [`BLOCK_CACHE_SIZE`], and the transaction index is a table
//!   ([`Node::tx_location`]). A start reads the state and that tip, no
//!   older history. Bodies are stored as RLP (the node's `codec` module:
//!   EIP-2718 transactions, senders, receipts), about a third of the JSON
//!   they replaced; a block's rows (body, transaction index, state,
//!   changeset) are written in one database transaction with multi-row
//!   statements, SQLite in WAL mode with a 64 MiB page cache and a
//!   checkpoint every 64 MiB of WAL (`rollup_db`; with 10^6 accounts the
//!   defaults, 2 MiB and 4 MiB, made a full block's commit 161 ms on
//!   average against 131 ms).
//!
//! Figures (`cargo run --release -p rollup-protocol --example state_bench`,
//! 2-core machine shared with other builds, load average about 4.5; two
//! runs agreed within 10%):
//!
//! | figure | 10^4 accounts | 10^5 accounts |
//! |---|---|---|
//! | sender recovery per tx: libsecp256k1 / k256 (before) | 31 / 137-161 us | |
//! | a block's senders recovered on rayon (2 threads), decode included | 21-28 us per tx | |
//! | state root of a block touching 2,000 accounts: incremental | 3.7 ms | 8.2 ms |
//! | same, rebuilding the whole trie (before) | 14.1 ms | 132.8-139.5 ms |
//! | first root after start (builds the tries once) | 14.5 ms | 171 ms |
//! | block of 1,400 transfers from distinct senders: STF and state root | 13.3 ms | 20.5 ms |
//! | resident memory per account (state and tries) | 915 bytes | 601 bytes |
//!
//! A restart with 10^6 accounts and 10^5 blocks (`cargo run --release -p
//! rollup-node --example restart_bench`; 2 cores, idle; three runs each):
//!
//! | figure | value |
//! |---|---|
//! | node open: the accounts and the chain's tip read from SQLite | 1.8-2.1 s |
//! | same, one row per account (before) | 4.4-4.7 s |
//! | first state root (builds the tries: leaves on 2 threads, key order) | 1.6-1.7 s |
//! | start to serving | 3.4-3.8 s (before: 6.1-6.3 s) |
//! | resident memory after it | 649 MiB (before: 682 MiB) |
//! | store on disk (SQLite, WAL) | 363 MiB |
//! | one block appended (two accounts, one deposit) | 1.5 ms |
//!
//! (Packed reads with SQLite's default 2 MiB page cache measured 2.8-3.4 s
//! and 586 MiB; the 64 MiB cache that takes a full block's commit at this
//! size from 161 to 131 ms fills during the read: +63 MiB, about 0.4 s.)
//!
//! SQLite reads the accounts as packed chunks ([`ChainStore::load`]): sqlx
//! hands every row from its SQLite thread to the caller, and at one row per
//! account those hand-offs (futex wake-ups, an allocation per value) were
//! most of the start; 4,096 accounts a row, packed by SQLite itself, and the
//! next chunk read while this one is loaded, leave the state map's inserts
//! and the trie build. PostgreSQL streams one row per account.
//!
//! **Decisions.** Account state stays in memory with its tries: about 600
//! to 700 bytes per account (measured: 683 MiB at 10^6 accounts, the
//! process included), so 10^7 accounts would need about 7 GB (extrapolated,
//! not measured); past a few million accounts the state would have to move
//! to disk behind a cache, as reth's does. The tries are rebuilt at start
//! rather than persisted: the rebuild costs 1.7 s at 10^6 accounts, while
//! persisting the ~1.3 million branch and extension nodes (reth's
//! `AccountsTrie`) would add about six node rows per touched account to
//! every block's write (8,000 for a block of 1,400 transfers) and read back
//! at start several times the 92 MB of the accounts themselves (a branch
//! node holds up to 16 hashes of 32 bytes): as long as the whole state is
//! read at start anyway, storing the nodes would not shorten the start and
//! would cost every block.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod blob;
mod chain;
mod codec;
mod kind;
pub mod mempool;
mod node;
pub mod replay;
pub mod rpc;
mod store;

/// The database helpers ([`rollup_db`]), under the path the node's modules use.
pub use rollup_db as db;

pub use chain::{Chain, ChainFootprint, RECENT_BLOCKS, RECENT_HASHES, StoredBlock, TxLocation};
pub use kind::ChainKind;
pub use node::{BLOCK_CACHE_SIZE, HistoricalState, Node, NodeConfig, StateError};
pub use replay::{BlockReplayer, ReplayDb, ReplayError, ReplayTracer, ReplayedTx, TxInspector};
pub use store::{ChainStore, ChangesetMark};

/// Serves a router until a token is cancelled ([`rollup_http::serve`]).
pub use rollup_http::serve;
