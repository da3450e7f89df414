//! L2ToL1MessagePasser installed as runtime code (genesis-style) at its predeploy address.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolValue;
use rollup_contracts::{
    L2_TO_L1_MESSAGE_PASSER as PASSER, L2ToL1MessagePasser, message_passer_slots,
};

use crate::{
    evm::{Chain, ETHER, account, wei, withdrawal_hash},
    merkle,
};

fn l2() -> Chain {
    let mut chain = Chain::new();
    chain.install_code(PASSER, L2ToL1MessagePasser::DEPLOYED_BYTECODE.clone());
    chain
}

/// Storage slot of `mapping(key => ...)` at `slot`.
fn mapping_slot(key: B256, slot: U256) -> U256 {
    U256::from_be_bytes(keccak256((key, slot).abi_encode()).0)
}

#[test]
fn empty_state() {
    let mut l2 = l2();
    assert_eq!(l2.storage(PASSER, message_passer_slots::WITHDRAWALS_ROOT), U256::ZERO);
    assert_eq!(l2.storage(PASSER, message_passer_slots::WITHDRAWAL_COUNT), U256::ZERO);
    assert_eq!(l2.view(PASSER, L2ToL1MessagePasser::withdrawalCountCall {}), U256::ZERO);
    assert_eq!(l2.view(PASSER, L2ToL1MessagePasser::withdrawalsRootCall {}), B256::ZERO);
}

#[test]
fn withdrawals_root_is_the_rs_merkle_root_of_all_withdrawals() {
    let mut l2 = l2();
    let senders = [account(0x51), account(0x52), account(0x53)];
    for s in senders {
        l2.fund(s, wei(1_000 * ETHER));
    }
    let mut hashes = Vec::new();
    for k in 1..=20u64 {
        let sender = senders[k as usize % senders.len()];
        let value = if k % 4 == 0 { U256::ZERO } else { wei(u128::from(k) * ETHER / 100) };
        let nonce_before = l2.nonce(PASSER);
        let sender_before = l2.balance(sender);

        let receipt = if k % 5 == 0 {
            // Plain transfer: receive() withdraws to the sender itself with 100_000 gas.
            l2.send(sender, PASSER, value, Bytes::new())
        } else {
            let call = L2ToL1MessagePasser::initiateWithdrawalCall {
                target: account(0x70 + k as u8),
                gasLimit: U256::from(50_000 + k * 1_000),
                data: Bytes::from(vec![k as u8; k as usize]),
            };
            l2.call(sender, PASSER, value, call)
        };
        let event = receipt.success().event::<L2ToL1MessagePasser::MessagePassed>(PASSER);
        assert_eq!(event.nonce, U256::from(k - 1));
        assert_eq!(event.sender, sender);
        assert_eq!(event.value, value);
        if k % 5 == 0 {
            assert_eq!(
                (event.target, event.gasLimit, event.data.len()),
                (sender, U256::from(100_000), 0)
            );
        } else {
            assert_eq!(event.target, account(0x70 + k as u8));
            assert_eq!(event.gasLimit, U256::from(50_000 + k * 1_000));
            assert_eq!(event.data, Bytes::from(vec![k as u8; k as usize]));
        }

        let h = withdrawal_hash(
            event.nonce,
            event.sender,
            event.target,
            event.value,
            event.gasLimit,
            &event.data,
        );
        assert_eq!(event.withdrawalHash, h);
        hashes.push(h);

        let root = merkle::root(&hashes);
        assert_eq!(
            l2.storage(PASSER, message_passer_slots::WITHDRAWALS_ROOT),
            U256::from_be_bytes(root.0),
            "k={k}"
        );
        assert_eq!(l2.storage(PASSER, message_passer_slots::WITHDRAWAL_COUNT), U256::from(k));
        assert_eq!(l2.view(PASSER, L2ToL1MessagePasser::withdrawalsRootCall {}), root);
        assert_eq!(l2.view(PASSER, L2ToL1MessagePasser::withdrawalCountCall {}), U256::from(k));
        assert!(l2.view(PASSER, L2ToL1MessagePasser::sentMessagesCall { withdrawalHash: h }));
        assert_eq!(
            l2.storage(PASSER, mapping_slot(h, message_passer_slots::SENT_MESSAGES)),
            U256::from(1)
        );

        // The lowest live peak (height = trailing zeros of k) is the root of the complete
        // subtree over the last 2^height withdrawals.
        let height = k.trailing_zeros();
        let key = B256::from(U256::from(height).to_be_bytes::<32>());
        let peak = l2.storage(PASSER, mapping_slot(key, message_passer_slots::PEAKS));
        let subtree = &hashes[(k - (1 << height)) as usize..];
        assert_eq!(peak, U256::from_be_bytes(merkle::root(subtree).0), "k={k}");

        // The ETH is burned: not held by the passer, nor by the Burner it created.
        assert_eq!(l2.balance(PASSER), U256::ZERO);
        assert_eq!(l2.balance(sender), sender_before - value);
        if value.is_zero() {
            assert_eq!(l2.nonce(PASSER), nonce_before, "no Burner for a zero-value withdrawal");
        } else {
            let burner = PASSER.create(nonce_before);
            assert_eq!(l2.balance(burner), U256::ZERO);
            assert!(l2.code(burner).is_empty());
            assert_eq!(l2.nonce(PASSER), nonce_before + 1);
        }
    }
    assert!(!l2.view(
        PASSER,
        L2ToL1MessagePasser::sentMessagesCall { withdrawalHash: B256::repeat_byte(1) }
    ));
}

#[test]
fn contract_senders_are_recorded_as_msg_sender() {
    let mut l2 = l2();
    let caller = account(0x61);
    let forwarder: Address = account(0xf0);
    l2.install_code(forwarder, crate::evm::forwarder_runtime());
    l2.fund(caller, wei(ETHER));
    let call = L2ToL1MessagePasser::initiateWithdrawalCall {
        target: account(0x99),
        gasLimit: U256::from(21_000),
        data: Bytes::new(),
    };
    let receipt = l2.send(
        caller,
        forwarder,
        wei(ETHER),
        crate::evm::forward(PASSER, alloy_sol_types::SolCall::abi_encode(&call)),
    );
    let event = receipt.success().event::<L2ToL1MessagePasser::MessagePassed>(PASSER);
    assert_eq!(event.sender, forwarder);
    assert_eq!(l2.balance(forwarder), U256::ZERO);
    assert_eq!(l2.balance(PASSER), U256::ZERO);
}
