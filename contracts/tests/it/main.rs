//! Integration tests of the rollup contracts: the committed solc artifacts are executed on
//! revm (Cancun), and the withdrawal tree is checked against rs_merkle.

mod batch_inbox;
mod bench_contracts;
mod bridge;
mod dispute;
mod evm;
mod freshness;
mod l1;
mod merkle;
mod message_passer;
mod output_oracle;
mod withdrawals;
