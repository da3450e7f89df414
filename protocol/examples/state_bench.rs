//! Micro-benchmark of the node's per-block costs, printing figures (run in
//! release mode: `cargo run --release -p rollup-protocol --example state_bench`):
//!
//! 1. sender recovery per transaction: libsecp256k1 (what every path uses)
//!    against k256 (what recovery used before), and a block's senders
//!    recovered in parallel ([`recover_transactions`]);
//! 2. the state root after a block of transfers on a state of 10^4 and 10^5
//!    accounts: incremental ([`MemoryState::compute_state_root`]) against a
//!    from-scratch rebuild of the whole trie (what it did before);
//! 3. block building: a block of ETH transfers from distinct senders through
//!    the STF ([`execute_recovered`]), state root included.
#![allow(missing_docs)]

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use rollup_protocol::{
    BlockTx, L1Origin, RecoveredInputs, RollupConfig, execute_recovered, genesis_header,
    next_base_fee, recover_transactions,
};
use std::time::Instant;

const TXS: usize = 2_000;
/// Transfers in the built block (21,000 gas each, under the 30M gas limit).
const BLOCK_TXS: usize = 1_400;

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Resident memory of this process, in MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn address(i: u64) -> Address {
    Address::from_slice(&keccak256(i.to_be_bytes())[..20])
}

fn transfers(keys: &[PrivateKeySigner], base_fee: u64) -> Vec<(TxEnvelope, Bytes)> {
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let tx = TxEip1559 {
                chain_id: RollupConfig::default().l2_chain_id,
                nonce: 0,
                gas_limit: 21_000,
                max_fee_per_gas: u128::from(base_fee) * 2,
                max_priority_fee_per_gas: 1,
                to: TxKind::Call(address(10_000_000 + i as u64)),
                value: U256::from(1_000),
                access_list: Default::default(),
                input: Bytes::new(),
            };
            let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
            let tx = TxEnvelope::Eip1559(tx.into_signed(sig));
            let raw = Bytes::from(tx.encoded_2718());
            (tx, raw)
        })
        .collect()
}

fn main() {
    let keys: Vec<PrivateKeySigner> = (0..TXS as u64)
        .map(|i| PrivateKeySigner::from_bytes(&keccak256((i + 1).to_be_bytes())).unwrap())
        .collect();
    let txs = transfers(&keys, 1_000_000_000);

    // 1. recovery
    let start = Instant::now();
    for (tx, _) in &txs {
        std::hint::black_box(tx.recover_signer().unwrap());
    }
    let secp = ms(start);
    let start = Instant::now();
    for (tx, _) in &txs {
        let TxEnvelope::Eip1559(signed) = tx else { unreachable!() };
        let key = signed.signature().recover_from_prehash(&signed.signature_hash()).unwrap();
        std::hint::black_box(Address::from_public_key(&key));
    }
    let k256 = ms(start);
    let raws: Vec<Bytes> = txs.iter().map(|(_, raw)| raw.clone()).collect();
    let start = Instant::now();
    std::hint::black_box(recover_transactions(&raws));
    let parallel = ms(start);
    println!("sender recovery, {TXS} EIP-1559 transactions:");
    println!("  libsecp256k1           {:>8.1} us/tx", secp * 1e3 / TXS as f64);
    println!("  k256 (before)          {:>8.1} us/tx", k256 * 1e3 / TXS as f64);
    println!(
        "  block, rayon ({} threads) {:>5.1} us/tx (decode included)",
        rayon::current_num_threads(),
        parallel * 1e3 / TXS as f64
    );

    // 2. and 3.
    let config = RollupConfig::default();
    for accounts in [10_000u64, 100_000] {
        let rss_before = rss_mib();
        let mut state = rollup_protocol::l2_genesis_state(&config);
        for i in 0..accounts {
            state.set_account(address(i), U256::from(i + 1), 0, None);
        }
        for key in &keys {
            state.set_account(key.address(), U256::from(10u128.pow(18)), 0, None);
        }
        let start = Instant::now();
        let origin = L1Origin { base_fee: 1, blob_base_fee: 1, ..Default::default() };
        let genesis = genesis_header(&config, &mut state, &origin).unwrap();
        let first = ms(start);
        let _ = state.take_changes();
        let per_account = (rss_mib() - rss_before) * 1024.0 * 1024.0 / accounts as f64;

        // A block of 1,000 balance updates and 1,000 new accounts.
        let mut touched = state.clone();
        for i in 0..1_000u64 {
            touched.set_account(address(i * 7), U256::from(i), 1, None);
            touched.set_account(address(20_000_000 + i), U256::from(i), 0, None);
        }
        let start = Instant::now();
        let incremental = touched.compute_state_root();
        let incremental_ms = ms(start);
        let start = Instant::now();
        let rebuilt = touched.full_state_root();
        let rebuild_ms = ms(start);
        assert_eq!(incremental, rebuilt);
        println!("state root, {accounts} accounts, block touching 2,000 accounts:");
        println!("  first root (whole trie)       {first:>8.1} ms");
        println!("  resident memory per account   {per_account:>8.0} bytes (state and tries)");
        println!("  incremental                   {incremental_ms:>8.1} ms");
        println!("  rebuild from scratch (before) {rebuild_ms:>8.1} ms");

        let parent = genesis;
        let base_fee = next_base_fee(&parent);
        let block_txs: Vec<BlockTx> = transfers(&keys[..BLOCK_TXS], base_fee)
            .into_iter()
            .zip(&keys)
            .map(|((tx, raw), key)| {
                BlockTx::from_recovered(
                    alloy_consensus::transaction::Recovered::new_unchecked(tx, key.address()),
                    raw,
                )
            })
            .collect();
        let inputs = RecoveredInputs {
            timestamp: parent.timestamp + 1,
            l1_origin: origin,
            deposits: Vec::new(),
            transactions: block_txs,
        };
        let start = Instant::now();
        let block = execute_recovered(&config, &mut state, &parent, &inputs).unwrap();
        let build = ms(start);
        // The L1-attributes deposit, then the transfers.
        assert_eq!(block.transactions.len(), 1 + BLOCK_TXS, "{:?}", block.skipped.first());
        println!(
            "block build, {BLOCK_TXS} transfers on {accounts} accounts (STF and state root): {build:.1} ms"
        );
    }
}
