//! Integration tests of the protocol crate.
#![allow(missing_docs, unreachable_pub)]

mod derivation;
mod precompile;
mod span;
mod stateless;
