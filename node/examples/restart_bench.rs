//! What a restart costs with a large state and a long chain, printing
//! figures (release mode):
//!
//! ```text
//! cargo run --release -p rollup-node --example restart_bench -- 1000000 100000 [DIR]
//! ```
//!
//! Builds a SQLite store whose genesis holds `accounts` funded accounts
//! (default 10^6), then appends `blocks` blocks (default 10^5), each
//! changing two accounts and carrying one deposit, through
//! [`Node::commit_block`] as a producer does. Then, in a fresh process (so
//! that what building the store cost is not counted), opens the node
//! ([`Node::open`]: the state and the chain's tip) and computes its first
//! state root (which builds the account and storage tries): the time to
//! serving, and the resident memory after it. Also prints the store's size
//! on disk and the time per appended block.
#![allow(missing_docs)]

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use rollup_node::{ChainKind, ChainStore, Node, NodeConfig, StoredBlock};
use rollup_protocol::{
    DEPOSIT_TX_TYPE, ExecutedTx, MemoryState, RollupReceipt, RollupTxEnvelope, TxDeposit,
};
use std::{sync::Arc, time::Instant};

fn address(i: u64) -> Address {
    Address::from_slice(&keccak256(i.to_be_bytes())[..20])
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

fn config() -> NodeConfig {
    NodeConfig {
        chain_id: 901,
        client_version: "restart_bench".into(),
        block_gas_limit: 30_000_000,
        base_fee_params: alloy_eips::eip1559::BaseFeeParams::ethereum(),
        min_base_fee: 1,
        suggested_tip: 1,
        kind: ChainKind::L2 { l1_fee: Default::default() },
        max_tx_size: rollup_node::mempool::MAX_TX_SIZE,
        rpc_limits: Default::default(),
    }
}

async fn open(dir: &std::path::Path, accounts: u64) -> Arc<Node> {
    let url = rollup_db::sqlite_url(dir, "chain.db");
    let store = ChainStore::open(&url, "l2").await.expect("store opens");
    Node::open(config(), store, || {
        let mut state = MemoryState::new();
        for i in 0..accounts {
            state.set_account(address(i), U256::from(1_000_000_000u64), 0, None);
        }
        let header = Header { state_root: state.compute_state_root(), ..Default::default() };
        (state, header)
    })
    .await
    .expect("node opens")
}

fn deposit(n: u64) -> ExecutedTx {
    let tx = TxDeposit {
        source_hash: B256::from(U256::from(n)),
        from: address(n),
        to: TxKind::Call(address(n + 1)),
        mint: 0,
        value: U256::from(1),
        gas_limit: 21_000,
        is_system_transaction: false,
        input: Bytes::new(),
    };
    ExecutedTx {
        tx: RollupTxEnvelope::Deposit(tx),
        sender: address(n),
        receipt: RollupReceipt {
            tx_type: DEPOSIT_TX_TYPE,
            status: true,
            cumulative_gas_used: 21_000,
            gas_used: 21_000,
            effective_gas_price: 0,
            logs: vec![],
            contract_address: None,
            l1_fee: None,
            l1_base_fee: None,
            l1_blob_base_fee: None,
            l1_fee_scalars: None,
            l1_gas_used: None,
            deposit_nonce: Some(0),
        },
    }
}

async fn build(dir: &std::path::Path, accounts: u64, blocks: u64) {
    let start = Instant::now();
    let node = open(dir, accounts).await;
    println!(
        "genesis of {accounts} accounts stored: {:.1} s, RSS {:.0} MiB",
        start.elapsed().as_secs_f64(),
        rss_mib()
    );
    let start = Instant::now();
    for n in 1..=blocks {
        let _producer = node.producer_lock().await;
        let (block, changes) = {
            let mut chain = node.chain_mut();
            let (from, to) = (address(n % accounts), address((n * 7919) % accounts));
            let balance = chain.state.balance(&from);
            chain.state.set_account(from, balance - U256::from(1), 0, None);
            let balance = chain.state.balance(&to);
            chain.state.set_account(to, balance + U256::from(1), 0, None);
            let header = Header {
                number: n,
                parent_hash: chain.head().hash,
                state_root: chain.state.compute_state_root(),
                timestamp: n,
                ..Default::default()
            };
            let block =
                StoredBlock { hash: header.hash_slow(), header, transactions: vec![deposit(n)] };
            (block, chain.state.take_changes())
        };
        node.commit_block(block, changes).await.expect("block stored");
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{blocks} blocks appended: {elapsed:.1} s ({:.0} us a block), RSS {:.0} MiB, chain holds {:?}",
        elapsed * 1e6 / blocks.max(1) as f64,
        rss_mib(),
        node.chain().footprint()
    );
}

async fn reopen(dir: &std::path::Path) {
    let before = rss_mib();
    let start = Instant::now();
    let node = open(dir, 0).await;
    let opened = start.elapsed().as_secs_f64();
    let root = node.chain_mut().state.compute_state_root();
    let serving = start.elapsed().as_secs_f64();
    assert_eq!(root, node.chain().head().header.state_root, "the reopened state is the head's");
    let head = node.chain().head_number();
    let old = node.block(1).await.expect("store readable").expect("block 1 kept");
    assert_eq!(old.number(), 1);
    println!(
        "restart: node open (state and tip) {opened:.2} s, first state root {:.2} s, serving after {serving:.2} s; \
         head {head}; RSS {:.0} MiB (process start {before:.0} MiB)",
        serving - opened,
        rss_mib()
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--reopen") {
        reopen(std::path::Path::new(&args[2])).await;
        return;
    }
    let accounts: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let blocks: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    // A third argument keeps the store in that directory (to profile
    // `--reopen DIR` on its own).
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = args.get(3).map_or(temp.path(), std::path::Path::new);
    std::fs::create_dir_all(dir).expect("data dir");
    build(dir, accounts, blocks).await;
    let size: u64 = std::fs::read_dir(dir)
        .expect("data dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("store on disk: {:.0} MiB", size as f64 / (1024.0 * 1024.0));
    let status = std::process::Command::new(std::env::current_exe().expect("own path"))
        .arg("--reopen")
        .arg(dir)
        .status()
        .expect("reopen runs");
    assert!(status.success(), "the reopen failed");
}
