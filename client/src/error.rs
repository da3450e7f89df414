//! How a caller must react to an error, as kona classifies derivation
//! errors (`PipelineErrorKind`: temporary, reset, critical).

/// What an error asks of the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Retry the same step later: the chain or the network did not answer,
    /// or answered something that may be right on the next read.
    Temporary,
    /// What the caller built on is gone (an L1 or L2 reorg, a transaction
    /// that reverted against state it did not expect): resync from the
    /// chain before going on.
    Reset,
    /// Retrying cannot help (bad configuration, a broken database, shutdown):
    /// stop.
    Critical,
}
