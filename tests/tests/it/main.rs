//! End-to-end tests (one integration-test binary).
#![allow(missing_docs, unreachable_pub)]

mod blobs;
mod common;
mod disputes;
mod e2e;
mod faults;
mod heal;
mod l1reorg;
mod trace;
mod verifier;
