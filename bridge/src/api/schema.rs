//! The API's field formats as named OpenAPI schemas, each with the pattern
//! the handlers enforce, so that a client (or a schema fuzzer) that follows
//! the document only sends what the handlers accept. The Rust types carry
//! strings; these types only describe them (`#[schema(value_type = ...)]`).

use utoipa::ToSchema;

/// A 32-byte hash (transaction hash, block hash, output root, withdrawal
/// hash), `0x` and 64 hex digits.
#[derive(ToSchema)]
#[schema(
    pattern = "^0x[0-9a-fA-F]{64}$",
    example = "0x8948f5d1d3a5a3c1c6f0d3b8f6e2f5a7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6"
)]
#[allow(dead_code)]
pub(crate) struct Hash32(String);

/// A 20-byte account or contract address, `0x` and 40 hex digits (EIP-55
/// checksummed in answers; any case accepted).
#[derive(ToSchema)]
#[schema(pattern = "^0x[0-9a-fA-F]{40}$", example = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
#[allow(dead_code)]
pub(crate) struct Address(String);

/// An amount of wei as a decimal string (no sign, no exponent, no leading
/// zeros), from 0 to 2^256 - 1.
#[derive(ToSchema)]
#[schema(pattern = "^(0|[1-9][0-9]{0,77})$", example = "1000000000000000000")]
#[allow(dead_code)]
pub(crate) struct Wei(String);

/// A positive amount of wei to move, as a decimal string: 1 to 10^77 - 1
/// (below 2^256).
#[derive(ToSchema)]
#[schema(pattern = "^[1-9][0-9]{0,76}$", example = "1000000000000000000")]
#[allow(dead_code)]
pub(crate) struct WeiAmount(String);

/// Bytes as `0x`-hex (an even number of hex digits; `0x` for none).
#[derive(ToSchema)]
#[schema(pattern = "^0x([0-9a-fA-F]{2})*$", example = "0x")]
#[allow(dead_code)]
pub(crate) struct HexBytes(String);

/// A signed EIP-2718 transaction as `0x`-hex.
#[derive(ToSchema)]
#[schema(pattern = "^0x([0-9a-fA-F]{2})+$", example = "0x02f8b1820384...")]
#[allow(dead_code)]
pub(crate) struct SignedTxHex(String);

/// An opaque page cursor (`next_cursor` of a previous page).
#[derive(ToSchema)]
#[schema(pattern = "^[0-9a-f]{1,15}-[0-9a-f]{1,15}$", example = "1a2-3")]
#[allow(dead_code)]
pub(crate) struct Cursor(String);

/// The page cursor of `GET /v1/challenges` (`next_cursor` of a previous
/// page: a game id).
#[derive(ToSchema)]
#[schema(pattern = "^[0-9]{1,15}$", example = "3")]
#[allow(dead_code)]
pub(crate) struct GameCursor(String);

/// Declares a schema-only enum of kebab-case string values.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(serde::Serialize, ToSchema)]
        #[serde(rename_all = "kebab-case")]
        #[allow(dead_code)]
        pub(crate) enum $name { $($(#[$vdoc])* $variant),+ }
    };
}

string_enum! {
    /// Which side of a dispute game (`DisputeGameFactory.Side`).
    Side {
        /// The side defending the output (the proposer, or its registered defender).
        Proposer,
        /// The side disputing it.
        Challenger,
    }
}
string_enum! {
    /// `GET /health`: whether the chains answer.
    HealthState { Ok, Unavailable }
}
string_enum! {
    /// A deposit's progress.
    DepositState {
        /// Sent, not yet mined on L1.
        Pending,
        /// Mined on L1, not yet credited on L2.
        L1Included,
        /// The L2 deposit transaction is in a block.
        L2Credited,
        /// The L1 transaction reverted.
        Failed,
    }
}
string_enum! {
    /// The state of a deposit just sent.
    DepositSentState { Pending, L1Included }
}
string_enum! {
    /// A withdrawal's progress.
    WithdrawalState {
        /// No output covers its L2 block yet.
        Initiated,
        /// Covered by an output still in its challenge window.
        WaitingToFinalize,
        /// The covering output is final: it can be finalized on L1.
        ReadyToFinalize,
        /// Paid out on L1.
        Finalized,
    }
}
string_enum! {
    /// The state of a withdrawal just initiated.
    WithdrawalSentState { Initiated }
}
string_enum! {
    /// The answer of a finalize request.
    FinalizeState {
        /// The relayer sent `finalizeWithdrawal` and it succeeded.
        Finalized,
        /// No relayer: the calldata is returned to sign and send.
        ReadyToFinalize,
    }
}
string_enum! {
    /// An output's state.
    OutputState {
        /// In its challenge window.
        Proposed,
        /// A dispute game about it is in progress.
        Challenged,
        /// Its challenge window is over and no earlier output is challenged.
        Finalized,
        /// Deleted by a dispute game the proposer lost.
        Deleted,
    }
}
string_enum! {
    /// A dispute game's state.
    GameState {
        InProgress,
        ChallengerWon,
        ProposerWon,
        /// Its output was deleted by the game about an earlier output.
        Cancelled,
    }
}
string_enum! {
    /// How a dispute game ended.
    GameEndReason {
        /// The disputed block was re-executed on L1 (EXECUTE precompile).
        Proof,
        /// The loser's chess clock ran out.
        Clock,
    }
}
string_enum! {
    /// The answer of `POST /v1/challenges`.
    ChallengeRequestState { ChallengeOpened, ChallengeRequested }
}
string_enum! {
    /// Whether a fault is in force.
    FaultStatus {
        /// Armed: a one-shot fault fires at the next opportunity; the others
        /// are in force until lifted.
        Armed,
        /// Not armed (lifted, fired, or never armed).
        Off,
    }
}
