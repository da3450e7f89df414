//! Bridge deposits: events, indices, running hash, aliasing, bounds.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};
use rollup_contracts::{Bridge, alias_l1_to_l2, undo_alias};

use crate::{
    evm::{ETHER, account, forward, forwarder_runtime, wei},
    l1::L1,
};

/// Rust recomputation of one deposit's hash `d`.
fn deposit_hash(
    from: Address,
    to: Address,
    index: U256,
    mint: U256,
    value: U256,
    gas_limit: u64,
    data: &Bytes,
) -> B256 {
    keccak256((from, to, index, mint, value, gas_limit, data.clone()).abi_encode_params())
}

fn running_hash(prev: B256, d: B256) -> B256 {
    keccak256([prev.as_slice(), d.as_slice()].concat())
}

#[test]
fn deposits_emit_events_and_chain_hashes() {
    let mut l1 = L1::deploy();
    let (bridge, user) = (l1.bridge, l1.user);
    assert_eq!(l1.chain.view(bridge, Bridge::depositCountCall {}), U256::ZERO);
    assert_eq!(l1.chain.view(bridge, Bridge::outputOracleCall {}), l1.oracle);

    let mut prev = B256::ZERO;
    let mut locked = U256::ZERO;
    for i in 0..6u64 {
        let to = account(0x40 + i as u8);
        let mint = wei(u128::from(i) * ETHER / 10);
        let (receipt, value, gas_limit, data) = if i % 2 == 0 {
            let r = l1.chain.call(user, bridge, mint, Bridge::depositETHCall { to });
            (r, mint, 100_000u64, Bytes::new())
        } else {
            // value may differ from mint (it is spent from the L2 balance of `from`).
            let value = wei(u128::from(i) * 7);
            let data = Bytes::from(vec![0xab; i as usize * 10]);
            let gas_limit = 21_000 + i * 50_000;
            let call = Bridge::depositTransactionCall {
                to,
                value,
                gasLimit: gas_limit,
                data: data.clone(),
            };
            (l1.chain.call(user, bridge, mint, call), value, gas_limit, data)
        };
        let event = receipt.success().event::<Bridge::TransactionDeposited>(bridge);
        assert_eq!(event.from, user, "an EOA is not aliased");
        assert_eq!(event.to, to);
        assert_eq!(event.depositIndex, U256::from(i));
        assert_eq!(event.mint, mint);
        assert_eq!(event.value, value);
        assert_eq!(event.gasLimit, gas_limit);
        assert_eq!(event.data, data);

        let d = deposit_hash(user, to, U256::from(i), mint, value, gas_limit, &data);
        prev = running_hash(prev, d);
        assert_eq!(l1.chain.view(bridge, Bridge::depositHashesCall { index: U256::from(i) }), prev);
        assert_eq!(l1.chain.view(bridge, Bridge::depositCountCall {}), U256::from(i + 1));
        locked += mint;
        assert_eq!(l1.chain.balance(bridge), locked);
    }
    let missing = l1.chain.try_view(bridge, Bridge::depositHashesCall { index: U256::from(6) });
    assert!(!missing.result.is_success());
}

#[test]
fn contract_callers_are_aliased() {
    let mut l1 = L1::deploy();
    let (bridge, user) = (l1.bridge, l1.user);
    let forwarder = account(0xf0);
    l1.chain.install_code(forwarder, forwarder_runtime());

    let to = account(0x42);
    let call = Bridge::depositETHCall { to };
    let receipt = l1.chain.send(user, forwarder, wei(ETHER), forward(bridge, call.abi_encode()));
    let event = receipt.success().event::<Bridge::TransactionDeposited>(bridge);
    assert_eq!(event.from, alias_l1_to_l2(forwarder));
    assert_ne!(event.from, forwarder);
    assert_eq!(undo_alias(event.from), forwarder);
    assert_eq!(event.mint, wei(ETHER));

    let d = deposit_hash(
        alias_l1_to_l2(forwarder),
        to,
        U256::ZERO,
        wei(ETHER),
        wei(ETHER),
        100_000,
        &Bytes::new(),
    );
    assert_eq!(
        l1.chain.view(bridge, Bridge::depositHashesCall { index: U256::ZERO }),
        running_hash(B256::ZERO, d)
    );
    assert_eq!(l1.chain.balance(bridge), wei(ETHER));
}

#[test]
fn deposit_bounds_are_enforced() {
    let mut l1 = L1::deploy();
    let (bridge, user) = (l1.bridge, l1.user);
    let call = |gas_limit: u64, len: usize| Bridge::depositTransactionCall {
        to: account(0x42),
        value: U256::ZERO,
        gasLimit: gas_limit,
        data: Bytes::from(vec![1u8; len]),
    };
    l1.chain.call(user, bridge, U256::ZERO, call(0, 0)).reverted_with::<Bridge::GasLimitTooLow>();
    l1.chain
        .call(user, bridge, U256::ZERO, call(20_999, 0))
        .reverted_with::<Bridge::GasLimitTooLow>();
    l1.chain
        .call(user, bridge, U256::ZERO, call(10_000_001, 0))
        .reverted_with::<Bridge::GasLimitTooHigh>();
    l1.chain
        .call(user, bridge, U256::ZERO, call(u64::MAX, 0))
        .reverted_with::<Bridge::GasLimitTooHigh>();
    l1.chain
        .call(user, bridge, U256::ZERO, call(100_000, 120_001))
        .reverted_with::<Bridge::DataTooLarge>();
    assert_eq!(l1.chain.view(bridge, Bridge::depositCountCall {}), U256::ZERO);

    l1.chain.call(user, bridge, U256::ZERO, call(21_000, 0)).success();
    l1.chain.call(user, bridge, U256::ZERO, call(10_000_000, 0)).success();
    l1.chain.call(user, bridge, U256::ZERO, call(100_000, 120_000)).success();
    assert_eq!(l1.chain.view(bridge, Bridge::depositCountCall {}), U256::from(3));
}

#[test]
fn plain_eth_transfers_are_rejected() {
    let mut l1 = L1::deploy();
    let (bridge, user) = (l1.bridge, l1.user);
    l1.chain
        .send(user, bridge, wei(ETHER), Bytes::new())
        .reverted_with::<Bridge::DirectTransferNotAllowed>();
    assert_eq!(l1.chain.balance(bridge), U256::ZERO);
}
