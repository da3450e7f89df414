//! OutputOracle: bonded proposals, ordering, batching bound, finality, bonds, deletion.

use alloy_primitives::{B256, U256};
use rollup_contracts::OutputOracle;

use crate::{
    evm::{account, wei},
    l1::{BOND, CHALLENGE_WINDOW, L1},
};

fn propose_call(block: u64, root: u8) -> OutputOracle::proposeCall {
    OutputOracle::proposeCall {
        l2BlockNumber: U256::from(block),
        outputRoot: B256::repeat_byte(root),
    }
}

#[test]
fn getters() {
    let mut l1 = L1::deploy();
    let o = l1.oracle;
    assert_eq!(l1.chain.view(o, OutputOracle::proposerCall {}), l1.proposer);
    assert_eq!(l1.chain.view(o, OutputOracle::batchInboxCall {}), l1.inbox);
    assert_eq!(
        l1.chain.view(o, OutputOracle::challengeWindowCall {}),
        U256::from(CHALLENGE_WINDOW)
    );
    assert_eq!(l1.chain.view(o, OutputOracle::bondCall {}), wei(BOND));
    assert_eq!(l1.chain.view(o, OutputOracle::ownerCall {}), l1.owner);
    assert_eq!(l1.chain.view(o, OutputOracle::outputCountCall {}), U256::ZERO);
    assert_eq!(l1.chain.view(o, OutputOracle::latestBlockNumberCall {}), U256::ZERO);
    assert!(!l1.chain.view(o, OutputOracle::isFinalCall { index: U256::ZERO }));
    l1.chain
        .try_view(o, OutputOracle::getOutputCall { index: U256::ZERO })
        .reverted_with::<OutputOracle::OutputNotFound>();
}

#[test]
fn proposals_are_checked() {
    let mut l1 = L1::deploy();
    l1.batch_until(10);
    let (o, proposer, user) = (l1.oracle, l1.proposer, l1.user);

    l1.chain
        .call(user, o, wei(BOND), propose_call(5, 1))
        .reverted_with::<OutputOracle::Unauthorized>();
    l1.chain
        .call(proposer, o, U256::ZERO, propose_call(5, 1))
        .reverted_with::<OutputOracle::WrongBond>();
    l1.chain
        .call(proposer, o, wei(BOND + 1), propose_call(5, 1))
        .reverted_with::<OutputOracle::WrongBond>();
    l1.chain
        .call(proposer, o, wei(BOND), propose_call(0, 1))
        .reverted_with::<OutputOracle::BlockNumberNotIncreasing>();
    // Blocks 1..=10 are batched; 11 is not.
    l1.chain
        .call(proposer, o, wei(BOND), propose_call(11, 1))
        .reverted_with::<OutputOracle::BlockNotBatched>();

    let before = l1.chain.balance(proposer);
    let ts = l1.chain.timestamp();
    let receipt = l1.chain.call(proposer, o, wei(BOND), propose_call(5, 1));
    let event = receipt.event::<OutputOracle::OutputProposed>(o);
    assert_eq!(event.outputIndex, U256::ZERO);
    assert_eq!(event.l2BlockNumber, U256::from(5));
    assert_eq!(event.outputRoot, B256::repeat_byte(1));
    assert_eq!(event.timestamp, U256::from(ts));
    assert_eq!(l1.chain.balance(proposer), before - wei(BOND));
    assert_eq!(l1.chain.balance(o), wei(BOND));

    let output = l1.chain.view(o, OutputOracle::getOutputCall { index: U256::ZERO });
    assert_eq!(output.outputRoot, B256::repeat_byte(1));
    assert_eq!((output.timestamp, output.l2BlockNumber), (ts, 5));
    assert_eq!(output.proposer, proposer);
    assert!(!output.bondReclaimed);
    assert_eq!(l1.chain.view(o, OutputOracle::latestBlockNumberCall {}), U256::from(5));

    // Not increasing.
    l1.chain
        .call(proposer, o, wei(BOND), propose_call(5, 2))
        .reverted_with::<OutputOracle::BlockNumberNotIncreasing>();
    l1.chain
        .call(proposer, o, wei(BOND), propose_call(4, 2))
        .reverted_with::<OutputOracle::BlockNumberNotIncreasing>();
    l1.chain.call(proposer, o, wei(BOND), propose_call(10, 2)).success();
    l1.chain
        .call(proposer, o, wei(BOND), propose_call(11, 3))
        .reverted_with::<OutputOracle::BlockNotBatched>();
    l1.batch_until(20);
    l1.chain.call(proposer, o, wei(BOND), propose_call(11, 3)).success();
    assert_eq!(l1.chain.view(o, OutputOracle::outputCountCall {}), U256::from(3));
    assert_eq!(l1.chain.view(o, OutputOracle::latestBlockNumberCall {}), U256::from(11));
}

#[test]
fn finality_and_bond_reclaim() {
    let mut l1 = L1::deploy();
    l1.batch_until(10);
    let (o, proposer, user) = (l1.oracle, l1.proposer, l1.user);
    let index = l1.propose(5, B256::repeat_byte(1));
    let proposed_at = l1.chain.timestamp();

    assert!(!l1.chain.view(o, OutputOracle::isFinalCall { index }));
    l1.chain
        .call(user, o, U256::ZERO, OutputOracle::reclaimBondCall { index })
        .reverted_with::<OutputOracle::OutputNotFinal>();
    l1.chain
        .call(user, o, U256::ZERO, OutputOracle::reclaimBondCall { index: U256::from(1) })
        .reverted_with::<OutputOracle::OutputNotFound>();

    l1.chain.advance(CHALLENGE_WINDOW - 1);
    assert_eq!(l1.chain.timestamp(), proposed_at + CHALLENGE_WINDOW - 1);
    assert!(!l1.chain.view(o, OutputOracle::isFinalCall { index }));
    l1.chain.advance(1);
    assert!(l1.chain.view(o, OutputOracle::isFinalCall { index }));
    assert!(!l1.chain.view(o, OutputOracle::isFinalCall { index: U256::from(1) }));

    // Anyone can trigger the reclaim; the bond goes to the output's proposer, once.
    let before = l1.chain.balance(proposer);
    let receipt = l1.chain.call(user, o, U256::ZERO, OutputOracle::reclaimBondCall { index });
    let event = receipt.event::<OutputOracle::BondReclaimed>(o);
    assert_eq!((event.outputIndex, event.to, event.amount), (index, proposer, wei(BOND)));
    assert_eq!(l1.chain.balance(proposer), before + wei(BOND));
    assert_eq!(l1.chain.balance(o), U256::ZERO);
    assert!(l1.chain.view(o, OutputOracle::getOutputCall { index }).bondReclaimed);
    l1.chain
        .call(proposer, o, U256::ZERO, OutputOracle::reclaimBondCall { index })
        .reverted_with::<OutputOracle::BondAlreadyReclaimed>();
}

#[test]
fn dispute_game_factory_deletes_non_final_outputs() {
    let mut l1 = L1::deploy();
    l1.batch_until(10);
    let (o, owner, user) = (l1.oracle, l1.owner, l1.user);
    let factory = account(0xfa);
    l1.chain.fund(factory, wei(10));

    l1.propose(2, B256::repeat_byte(1));
    l1.chain.advance(CHALLENGE_WINDOW);
    l1.propose(4, B256::repeat_byte(2));
    l1.propose(6, B256::repeat_byte(3));
    l1.propose(8, B256::repeat_byte(4));

    // No factory yet: nobody may delete.
    l1.chain
        .call(factory, o, U256::ZERO, OutputOracle::deleteOutputsCall { fromIndex: U256::from(1) })
        .reverted_with::<OutputOracle::Unauthorized>();
    l1.chain
        .call(user, o, U256::ZERO, OutputOracle::setDisputeGameFactoryCall { f: factory })
        .reverted_with::<OutputOracle::Unauthorized>();
    l1.chain
        .call(
            owner,
            o,
            U256::ZERO,
            OutputOracle::setDisputeGameFactoryCall { f: alloy_primitives::Address::ZERO },
        )
        .reverted_with::<OutputOracle::ZeroAddress>();
    l1.chain
        .call(owner, o, U256::ZERO, OutputOracle::setDisputeGameFactoryCall { f: factory })
        .success();
    assert_eq!(l1.chain.view(o, OutputOracle::disputeGameFactoryCall {}), factory);
    l1.chain
        .call(owner, o, U256::ZERO, OutputOracle::setDisputeGameFactoryCall { f: user })
        .reverted_with::<OutputOracle::DisputeGameFactoryAlreadySet>();

    l1.chain
        .call(user, o, U256::ZERO, OutputOracle::deleteOutputsCall { fromIndex: U256::from(1) })
        .reverted_with::<OutputOracle::Unauthorized>();
    // Output 0 is final and cannot be deleted.
    l1.chain
        .call(factory, o, U256::ZERO, OutputOracle::deleteOutputsCall { fromIndex: U256::ZERO })
        .reverted_with::<OutputOracle::OutputAlreadyFinal>();
    l1.chain
        .call(factory, o, U256::ZERO, OutputOracle::deleteOutputsCall { fromIndex: U256::from(4) })
        .reverted_with::<OutputOracle::OutputNotFound>();

    let receipt = l1.chain.call(
        factory,
        o,
        U256::ZERO,
        OutputOracle::deleteOutputsCall { fromIndex: U256::from(2) },
    );
    let event = receipt.event::<OutputOracle::OutputsDeleted>(o);
    assert_eq!((event.fromIndex, event.prevNextIndex), (U256::from(2), U256::from(4)));
    assert_eq!(l1.chain.view(o, OutputOracle::outputCountCall {}), U256::from(2));
    assert_eq!(l1.chain.view(o, OutputOracle::latestBlockNumberCall {}), U256::from(4));
    for index in [2u64, 3] {
        l1.chain
            .try_view(o, OutputOracle::getOutputCall { index: U256::from(index) })
            .reverted_with::<OutputOracle::OutputNotFound>();
        assert!(!l1.chain.view(o, OutputOracle::isFinalCall { index: U256::from(index) }));
    }
    // The storage is cleared: a re-proposal at index 2 starts fresh.
    let index = l1.propose(5, B256::repeat_byte(9));
    assert_eq!(index, U256::from(2));
    let output = l1.chain.view(o, OutputOracle::getOutputCall { index });
    assert_eq!(
        (output.l2BlockNumber, output.outputRoot, output.bondReclaimed),
        (5, B256::repeat_byte(9), false)
    );
    // Bonds of deleted outputs stay in the oracle (for the dispute game).
    assert_eq!(l1.chain.balance(o), wei(5 * BOND));
}
