//! End to end: withdrawals initiated on the real L2ToL1MessagePasser, proven and finalized on
//! the real Bridge against an OutputOracle output.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use rollup_contracts::{
    Bridge, L2_TO_L1_MESSAGE_PASSER as PASSER, L2ToL1MessagePasser, OutputOracle,
    message_passer_slots,
};

use crate::{
    evm::{Chain, ETHER, Receipt, account, forward, forwarder_runtime, reverter_runtime, wei},
    l1::{CHALLENGE_WINDOW, L1},
    merkle,
};

const RECIPIENT: Address = Address::repeat_byte(0xc0);
const REVERTER: Address = Address::repeat_byte(0xc1);
const FORWARDER: Address = Address::repeat_byte(0xc2);
const OTHER: Address = Address::repeat_byte(0xc3);

struct Scenario {
    l1: L1,
    withdrawals: Vec<Bridge::Withdrawal>,
    leaves: Vec<B256>,
    root_proof: Bridge::OutputRootProof,
    output_index: U256,
}

impl Scenario {
    /// Initiates withdrawals on L2, funds the Bridge with a deposit, batches and proposes the
    /// output with the resulting withdrawals root. The output is not final yet.
    fn new() -> Self {
        let mut l2 = Chain::new();
        l2.install_code(PASSER, L2ToL1MessagePasser::DEPLOYED_BYTECODE.clone());
        let alice = account(0xa1);
        let bob = account(0xb1);
        l2.fund(alice, wei(100 * ETHER));
        l2.fund(bob, wei(100 * ETHER));

        let requests: Vec<(Address, Address, u128, u64, Bytes)> = vec![
            // 0: plain ETH to an EOA.
            (alice, RECIPIENT, ETHER, 100_000, Bytes::new()),
            // 1: to a contract that always reverts.
            (bob, REVERTER, ETHER / 2, 100_000, Bytes::new()),
            // 2: to a forwarder that passes value and calldata on (to OTHER).
            (alice, FORWARDER, 2 * ETHER, 200_000, forward(OTHER, [])),
            // 3: large gas limit.
            (bob, RECIPIENT, 3, 1_000_000, Bytes::from_static(b"hello")),
            // 4: to the Bridge itself (rejected on L1).
            (alice, Address::ZERO, 0, 100_000, Bytes::new()),
            // 5, 6: more leaves so the tree has an odd node.
            (bob, OTHER, 5, 30_000, Bytes::new()),
            (alice, OTHER, 6, 30_000, Bytes::new()),
        ];
        let l1 = L1::deploy();
        let mut withdrawals = Vec::new();
        for (sender, target, value, gas_limit, data) in requests {
            // Index 4 targets the Bridge, whose address is only known on L1.
            let target = if target == Address::ZERO { l1.bridge } else { target };
            let call = L2ToL1MessagePasser::initiateWithdrawalCall {
                target,
                gasLimit: U256::from(gas_limit),
                data,
            };
            let receipt = l2.call(sender, PASSER, wei(value), call);
            let e = receipt.success().event::<L2ToL1MessagePasser::MessagePassed>(PASSER);
            withdrawals.push(Bridge::Withdrawal {
                nonce: e.nonce,
                sender: e.sender,
                target: e.target,
                value: e.value,
                gasLimit: e.gasLimit,
                data: e.data,
            });
        }
        let withdrawals_root = B256::from(
            l2.storage(PASSER, message_passer_slots::WITHDRAWALS_ROOT).to_be_bytes::<32>(),
        );

        let mut l1 = l1;
        let mut leaves = Vec::new();
        for w in &withdrawals {
            let h = l1.chain.view(l1.bridge, Bridge::hashWithdrawalCall { w: w.clone() });
            assert_eq!(
                h,
                crate::evm::withdrawal_hash(
                    w.nonce, w.sender, w.target, w.value, w.gasLimit, &w.data
                )
            );
            leaves.push(h);
        }
        assert_eq!(merkle::root(&leaves), withdrawals_root);

        l1.chain.install_code(REVERTER, reverter_runtime());
        l1.chain.install_code(FORWARDER, forwarder_runtime());
        // Lock enough ETH in the Bridge to pay the withdrawals.
        let (bridge, user) = (l1.bridge, l1.user);
        l1.chain.call(user, bridge, wei(10 * ETHER), Bridge::depositETHCall { to: user }).success();

        l1.batch_until(10);
        let root_proof = Bridge::OutputRootProof {
            stateRoot: B256::repeat_byte(0x11),
            withdrawalsRoot: withdrawals_root,
            blockHash: B256::repeat_byte(0x22),
        };
        let output_index = l1.propose(
            10,
            crate::evm::output_root(
                root_proof.stateRoot,
                root_proof.withdrawalsRoot,
                root_proof.blockHash,
            ),
        );
        Self { l1, withdrawals, leaves, root_proof, output_index }
    }

    fn finalize_call(&self, i: usize) -> Bridge::finalizeWithdrawalCall {
        Bridge::finalizeWithdrawalCall {
            w: self.withdrawals[i].clone(),
            outputIndex: self.output_index,
            rootProof: self.root_proof.clone(),
            leafIndex: U256::from(i),
            leafCount: U256::from(self.leaves.len()),
            proof: merkle::proof(&self.leaves, i),
        }
    }

    fn finalize(&mut self, call: Bridge::finalizeWithdrawalCall) -> Receipt {
        let (relayer, bridge) = (self.l1.deployer, self.l1.bridge);
        self.l1.chain.call(relayer, bridge, U256::ZERO, call)
    }

    fn finalized(&mut self, i: usize) -> bool {
        let h = self.leaves[i];
        self.l1.chain.view(self.l1.bridge, Bridge::finalizedCall { withdrawalHash: h })
    }

    fn pass_challenge_window(&mut self) {
        self.l1.chain.advance(CHALLENGE_WINDOW);
        assert!(
            self.l1
                .chain
                .view(self.l1.oracle, OutputOracle::isFinalCall { index: self.output_index })
        );
    }
}

#[test]
fn finalize_before_the_window_reverts() {
    let mut s = Scenario::new();
    s.finalize(s.finalize_call(0)).reverted_with::<Bridge::OutputNotFinal>();
    s.l1.chain.advance(CHALLENGE_WINDOW - 1);
    s.finalize(s.finalize_call(0)).reverted_with::<Bridge::OutputNotFinal>();
    // Unknown output index.
    s.l1.chain.advance(1);
    let mut call = s.finalize_call(0);
    call.outputIndex = U256::from(1);
    s.finalize(call).reverted_with::<Bridge::OutputNotFinal>();
    assert!(!s.finalized(0));
    s.finalize(s.finalize_call(0)).success();
}

#[test]
fn valid_proof_pays_out_once() {
    let mut s = Scenario::new();
    s.pass_challenge_window();
    let bridge = s.l1.bridge;
    let bridge_before = s.l1.chain.balance(bridge);
    let recipient_before = s.l1.chain.balance(RECIPIENT);

    let receipt = s.finalize(s.finalize_call(0));
    let event = receipt.success().event::<Bridge::WithdrawalFinalized>(bridge);
    assert_eq!(event.withdrawalHash, s.leaves[0]);
    assert!(event.success);
    assert!(s.finalized(0));
    assert_eq!(s.l1.chain.balance(RECIPIENT), recipient_before + wei(ETHER));
    assert_eq!(s.l1.chain.balance(bridge), bridge_before - wei(ETHER));

    s.finalize(s.finalize_call(0)).reverted_with::<Bridge::AlreadyFinalized>();
    assert_eq!(s.l1.chain.balance(RECIPIENT), recipient_before + wei(ETHER));

    // Every other withdrawal in the tree is independently finalizable.
    for i in [2, 3, 5, 6] {
        s.finalize(s.finalize_call(i)).success();
        assert!(s.finalized(i));
    }
    // The forwarder passed 2 ETH on to OTHER with the withdrawal's calldata.
    assert_eq!(s.l1.chain.balance(OTHER), wei(2 * ETHER + 5 + 6));
    assert_eq!(s.l1.chain.balance(FORWARDER), U256::ZERO);
}

#[test]
fn forged_proofs_revert() {
    let mut s = Scenario::new();
    s.pass_challenge_window();

    let mut call = s.finalize_call(0);
    call.proof[1].0[0] ^= 0xff;
    s.finalize(call).reverted_with::<Bridge::InvalidMerkleProof>();

    // A proof of another leaf.
    let mut call = s.finalize_call(0);
    call.proof = merkle::proof(&s.leaves, 1);
    s.finalize(call).reverted_with::<Bridge::InvalidMerkleProof>();

    // Wrong index / count.
    let mut call = s.finalize_call(0);
    call.leafIndex = U256::from(1);
    s.finalize(call).reverted_with::<Bridge::InvalidMerkleProof>();
    let mut call = s.finalize_call(6);
    call.leafCount = U256::from(8);
    s.finalize(call).reverted_with::<Bridge::InvalidMerkleProof>();

    // A withdrawal that was never initiated (value inflated).
    let mut call = s.finalize_call(0);
    call.w.value = wei(5 * ETHER);
    s.finalize(call).reverted_with::<Bridge::InvalidMerkleProof>();

    // A root proof that does not hash to the output root.
    let mut call = s.finalize_call(0);
    call.rootProof.withdrawalsRoot = B256::repeat_byte(0x33);
    s.finalize(call).reverted_with::<Bridge::InvalidOutputRootProof>();
    let mut call = s.finalize_call(0);
    call.rootProof.stateRoot = B256::repeat_byte(0x12);
    s.finalize(call).reverted_with::<Bridge::InvalidOutputRootProof>();

    assert!(!s.finalized(0));
    s.finalize(s.finalize_call(0)).success();
}

#[test]
fn failed_calls_are_finalized_anyway() {
    let mut s = Scenario::new();
    s.pass_challenge_window();
    let bridge = s.l1.bridge;
    let before = s.l1.chain.balance(bridge);
    let receipt = s.finalize(s.finalize_call(1));
    let event = receipt.success().event::<Bridge::WithdrawalFinalized>(bridge);
    assert_eq!(event.withdrawalHash, s.leaves[1]);
    assert!(!event.success);
    assert!(s.finalized(1));
    assert_eq!(s.l1.chain.balance(bridge), before);
    assert_eq!(s.l1.chain.balance(REVERTER), U256::ZERO);
    s.finalize(s.finalize_call(1)).reverted_with::<Bridge::AlreadyFinalized>();
}

#[test]
fn relayer_must_supply_the_withdrawal_gas() {
    let mut s = Scenario::new();
    s.pass_challenge_window();
    let (relayer, bridge) = (s.l1.deployer, s.l1.bridge);
    // Withdrawal 3 asks for 1M gas; a 300k-gas transaction cannot give it that.
    let call = s.finalize_call(3).abi_encode();
    s.l1.chain
        .send_with_gas(relayer, bridge, U256::ZERO, call.clone(), 300_000)
        .reverted_with::<Bridge::InsufficientGas>();
    assert!(!s.finalized(3));
    let receipt = s.l1.chain.send_with_gas(relayer, bridge, U256::ZERO, call, 2_000_000);
    assert!(receipt.success().event::<Bridge::WithdrawalFinalized>(bridge).success);
}

#[test]
fn withdrawals_cannot_call_the_bridge() {
    let mut s = Scenario::new();
    s.pass_challenge_window();
    assert_eq!(s.withdrawals[4].target, s.l1.bridge);
    s.finalize(s.finalize_call(4)).reverted_with::<Bridge::InvalidTarget>();
}

#[test]
fn deleted_outputs_cannot_be_used() {
    let mut s = Scenario::new();
    let (owner, oracle) = (s.l1.owner, s.l1.oracle);
    let factory = account(0xfa);
    s.l1.chain
        .call(owner, oracle, U256::ZERO, OutputOracle::setDisputeGameFactoryCall { f: factory })
        .success();
    s.l1.chain
        .call(
            factory,
            oracle,
            U256::ZERO,
            OutputOracle::deleteOutputsCall { fromIndex: s.output_index },
        )
        .success();
    s.pass_challenge_window_unchecked();
    s.finalize(s.finalize_call(0)).reverted_with::<Bridge::OutputNotFinal>();
}

impl Scenario {
    fn pass_challenge_window_unchecked(&mut self) {
        self.l1.chain.advance(CHALLENGE_WINDOW);
    }
}
