//! Bounds on the work and memory one JSON-RPC request may cost, so that no
//! request (or batch) can take the node down: geth's limits and messages
//! where geth has them, reth's where only reth has them.
//!
//! | limit | default | source | answer when exceeded |
//! |---|---|---|---|
//! | request body | 5 MiB | geth `defaultBodyLimit` | HTTP 413, `-32600 content length too large (N>M)` |
//! | requests in a batch | 1,000 | geth `BatchRequestLimit` | `-32600 batch too large` |
//! | bytes of a batch's responses | 25,000,000 | geth `BatchResponseMaxSize` | `-32003 response too large` for every item from the one that crosses it |
//! | `eth_feeHistory` blocks | 1,024 | geth `FeeHistoryMaxBlocks` | the range is cut to the newest 1,024 blocks (as geth does) |
//! | `eth_feeHistory` reward percentiles | 100 | geth `maxQueryLimit` | `-32602 invalid reward percentile: over the query limit 100` |
//! | `eth_getLogs` block range | 10,000 | (reth: 100,000) | `-32602 query exceeds max block range 10000` |
//! | `eth_getLogs` logs | 20,000 | reth `DEFAULT_MAX_LOGS_PER_RESPONSE` | `-32602 query exceeds max results 20000, retry with the range A-B` |
//! | `eth_getProof` storage keys | 1,024 | geth `maxGetProofKeys` | `-32602 too many storage keys requested (max 1024, got N)` |

/// Largest request body, in bytes: geth's `defaultBodyLimit`, 5 MiB (a blob
/// transaction with six blobs is 1.5 MiB of hex).
pub const DEFAULT_MAX_REQUEST_BODY_SIZE: usize = 5 * 1024 * 1024;
/// Most requests in one batch: geth's `BatchRequestLimit`.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 1_000;
/// Most bytes of the responses of one batch: geth's `BatchResponseMaxSize`,
/// 25 MB.
pub const DEFAULT_MAX_BATCH_RESPONSE_SIZE: usize = 25_000_000;
/// Most blocks one `eth_feeHistory` reports: geth's `FeeHistoryMaxBlocks`
/// (and the 1,024 of the execution-apis spec).
pub const DEFAULT_MAX_FEE_HISTORY_BLOCKS: u64 = 1_024;
/// Most reward percentiles one `eth_feeHistory` takes: geth's `maxQueryLimit`.
pub const DEFAULT_MAX_FEE_HISTORY_PERCENTILES: usize = 100;
/// Most blocks one `eth_getLogs` scans (reth's `--rpc.max-blocks-per-filter`
/// is 100,000; this node keeps blocks in memory and scans them under a lock,
/// so it takes a tenth of that).
pub const DEFAULT_MAX_BLOCKS_PER_FILTER: u64 = 10_000;
/// Most logs one `eth_getLogs` over several blocks returns: reth's
/// `DEFAULT_MAX_LOGS_PER_RESPONSE`.
pub const DEFAULT_MAX_LOGS_PER_RESPONSE: usize = 20_000;
/// Most storage keys one `eth_getProof` proves: geth's `maxGetProofKeys`.
pub const DEFAULT_MAX_PROOF_KEYS: usize = 1_024;

/// geth's code for a batch whose responses exceed
/// [`RpcLimits::max_batch_response_size`] (`errcodeResponseTooLarge`).
pub const RESPONSE_TOO_LARGE_CODE: i64 = -32003;

/// The bounds the JSON-RPC server enforces (see the module docs for the
/// defaults, their sources and the errors). Every field must be at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcLimits {
    /// Largest request body, in bytes.
    pub max_request_body_size: usize,
    /// Most requests in one batch.
    pub max_batch_size: usize,
    /// Most bytes of the serialized responses of one batch.
    pub max_batch_response_size: usize,
    /// Most blocks one `eth_feeHistory` reports.
    pub max_fee_history_blocks: u64,
    /// Most reward percentiles one `eth_feeHistory` takes.
    pub max_fee_history_percentiles: usize,
    /// Most blocks one `eth_getLogs` scans.
    pub max_blocks_per_filter: u64,
    /// Most logs one `eth_getLogs` over more than one block returns (the logs
    /// of a single block are always returned whole, as reth does).
    pub max_logs_per_response: usize,
    /// Most storage keys one `eth_getProof` proves.
    pub max_proof_keys: usize,
}

impl Default for RpcLimits {
    fn default() -> Self {
        Self {
            max_request_body_size: DEFAULT_MAX_REQUEST_BODY_SIZE,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            max_batch_response_size: DEFAULT_MAX_BATCH_RESPONSE_SIZE,
            max_fee_history_blocks: DEFAULT_MAX_FEE_HISTORY_BLOCKS,
            max_fee_history_percentiles: DEFAULT_MAX_FEE_HISTORY_PERCENTILES,
            max_blocks_per_filter: DEFAULT_MAX_BLOCKS_PER_FILTER,
            max_logs_per_response: DEFAULT_MAX_LOGS_PER_RESPONSE,
            max_proof_keys: DEFAULT_MAX_PROOF_KEYS,
        }
    }
}
