//! Integration tests of the protocol crate.
#![allow(missing_docs, unreachable_pub)]

mod derivation;
mod l1_attributes;
mod never_panic;
mod precompile;
mod span;
mod stateless;

use alloy_primitives::keccak256;
use alloy_signer_local::PrivateKeySigner;
use rollup_protocol::L1Origin;

/// L1 block `n` as an L1 origin (a made-up hash; fees that vary with `n`).
fn origin(n: u64) -> L1Origin {
    L1Origin {
        number: n,
        hash: keccak256(n.to_be_bytes()),
        timestamp: 1_000 + 12 * n,
        base_fee: 1_000_000_000 + n,
        blob_base_fee: 1 + u128::from(n),
    }
}

/// Four fixed keys.
fn keys() -> Vec<PrivateKeySigner> {
    (1..=4u8).map(|i| PrivateKeySigner::from_bytes(&keccak256([i])).unwrap()).collect()
}
