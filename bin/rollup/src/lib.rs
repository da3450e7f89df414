//! # rollup
//!
//! The `rollup` binary's library: the rollup file and contract deployment
//! ([`deploy`]), the operators' keys ([`keys`]), the role configurations of a deployment ([`roles`]), the
//! one-process devnet, and the command line ([`cli`]: one clap `Args` struct
//! per concern, turned into the role configs by `into_config`). End-to-end tests compose the
//! stack through [`devnet::spawn`], exactly as `rollup devnet` does.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod bench;
pub mod cli;
pub mod deploy;
pub mod devnet;
pub mod keys;
pub mod metrics;
pub mod roles;
