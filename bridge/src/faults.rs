//! The devnet's fault kinds (`POST /v1/faults`, `GET /v1/faults`,
//! `DELETE /v1/faults/{kind}`): ways to make a role misbehave on purpose, so
//! that a dispute can be triggered and watched end to end.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A fault the devnet can inject.
///
/// One-shot kinds fire once and disarm themselves (lifting them before they
/// fire cancels them); the others stay in force until lifted (`DELETE
/// /v1/faults/{kind}`, or the `duration_secs` given when arming).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// The proposer posts a wrong output root next (one-shot): the challenger
    /// disputes it and wins by proof.
    InvalidOutputRoot,
    /// The sequencer seals its next block over a wrong state (one-shot):
    /// bisection must find that block.
    InvalidStateTransition,
    /// The sequencer leaves L1 deposits out of its blocks until lifted;
    /// derivation forces them in, so its outputs lose.
    CensorDeposits,
    /// The proposer stops answering dispute games until lifted: it loses on
    /// its chess clock.
    StopDefending,
}

impl FaultKind {
    /// Every kind, in the order the API lists them.
    pub const ALL: [Self; 4] = [
        Self::InvalidOutputRoot,
        Self::InvalidStateTransition,
        Self::CensorDeposits,
        Self::StopDefending,
    ];

    /// The kind's name in the API (kebab-case).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidOutputRoot => "invalid-output-root",
            Self::InvalidStateTransition => "invalid-state-transition",
            Self::CensorDeposits => "censor-deposits",
            Self::StopDefending => "stop-defending",
        }
    }

    /// Whether the fault fires once and then disarms itself.
    pub const fn one_shot(self) -> bool {
        matches!(self, Self::InvalidOutputRoot | Self::InvalidStateTransition)
    }

    /// The kind named `name` (its [`Self::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for kind in FaultKind::ALL {
            assert_eq!(FaultKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(FaultKind::parse("meteor-strike"), None);
        assert!(FaultKind::InvalidOutputRoot.one_shot() && !FaultKind::CensorDeposits.one_shot());
    }
}
