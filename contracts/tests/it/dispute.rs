//! DisputeGameFactory: challenges, bisection moves, chess clocks, `proveBlock` checks against
//! a mocked EXECUTE precompile, resolution (deletion, bonds), cancellation and credits; plus
//! the OutputOracle hooks it uses (challenged flag, bond slashing, genesis output root).

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};
use rollup_contracts::{Bridge, DisputeGameFactory as Dgf, EXECUTE_PRECOMPILE, OutputOracle};

alloy_sol_types::sol! {
    /// One L1 block of `proveBlock`'s `l1Blocks` argument.
    #[derive(Debug)]
    struct L1BlockData { uint64 number; bytes header; bytes deposits; }
}

use crate::{
    evm::{
        ETHER, Receipt, account, forward, forwarder_runtime, output_root, reverter_runtime, wei,
    },
    l1::{BOND, CHALLENGE_WINDOW, L1},
};

/// Challenger bond used by the tests (differs from the proposal bond on purpose).
const CHALLENGER_BOND: u128 = ETHER / 2;
/// Chess clock of each side, in seconds.
const CLOCK: u64 = 600;
/// Seconds between two moves in the scripted games.
const STEP: u64 = 12;
/// `Side` / winner numbering of the contract.
const PROPOSER: u8 = 1;
const CHALLENGER: u8 = 2;
/// `GameStatus` numbering of the contract.
const IN_PROGRESS: u8 = 0;
const PROPOSER_WON: u8 = 1;
const CHALLENGER_WON: u8 = 2;
const CANCELLED: u8 = 3;

/// Mock EXECUTE precompile: returns its storage slot 0, so the test decides the "true" root.
fn fixed_root_precompile() -> Bytes {
    Bytes::from_static(&[
        0x60, 0x00, // PUSH1 0
        0x54, // SLOAD
        0x60, 0x00, // PUSH1 0
        0x52, // MSTORE
        0x60, 0x20, // PUSH1 32
        0x60, 0x00, // PUSH1 0
        0xf3, // RETURN(0, 32)
    ])
}

/// Mock EXECUTE precompile: returns `keccak256(input)`, to pin the input encoding.
fn hashing_precompile() -> Bytes {
    Bytes::from_static(&[
        0x36, // CALLDATASIZE
        0x5f, // PUSH0
        0x5f, // PUSH0
        0x37, // CALLDATACOPY(0, 0, size)
        0x36, // CALLDATASIZE
        0x5f, // PUSH0
        0x20, // KECCAK256(0, size)
        0x5f, // PUSH0
        0x52, // MSTORE
        0x60, 0x20, // PUSH1 32
        0x5f, // PUSH0
        0xf3, // RETURN(0, 32)
    ])
}

/// One party's view of the L2 chain: honest up to `diverges_at`, made-up from there on.
#[derive(Clone, Copy, Debug)]
struct View {
    diverges_at: u64,
}

impl View {
    fn honest() -> Self {
        Self { diverges_at: u64::MAX }
    }

    fn lying_from(block: u64) -> Self {
        Self { diverges_at: block }
    }

    fn tag(self, block: u64) -> &'static str {
        if block < self.diverges_at { "true" } else { "lie" }
    }

    /// RLP stand-in of the L2 header of `block` (only its hash matters on L1).
    fn header(self, block: u64) -> Bytes {
        Bytes::from(format!("{} L2 header {block}", self.tag(block)).into_bytes())
    }

    /// `(stateRoot, withdrawalsRoot, blockHash)` of `block`.
    fn preimage(self, block: u64) -> (B256, B256, B256) {
        let tag = self.tag(block);
        (
            keccak256(format!("{tag} state {block}")),
            keccak256(format!("{tag} withdrawals {block}")),
            keccak256(self.header(block)),
        )
    }

    fn root(self, block: u64) -> B256 {
        let (s, w, h) = self.preimage(block);
        output_root(s, w, h)
    }
}

/// The RLP stand-in of the L1 header of `number`.
fn l1_header(number: u64) -> Bytes {
    Bytes::from(format!("L1 header {number}").into_bytes())
}

/// The L1 system with a wired DisputeGameFactory and the mock precompile installed.
struct Dispute {
    l1: L1,
    factory: Address,
    challenger: Address,
    defender: Address,
}

impl Dispute {
    fn new() -> Self {
        Self::new_with_genesis(true)
    }

    fn new_with_genesis(set_genesis: bool) -> Self {
        let mut l1 = L1::deploy();
        let (challenger, defender) = (account(0xc1), account(0xdf));
        l1.chain.fund(challenger, wei(1_000 * ETHER));
        l1.chain.fund(defender, wei(1_000 * ETHER));
        let factory = l1.chain.deploy(
            l1.deployer,
            &Dgf::BYTECODE,
            Dgf::constructorCall {
                outputOracle: l1.oracle,
                batchInbox: l1.inbox,
                challengerBond: wei(CHALLENGER_BOND),
                clockSeconds: CLOCK,
                owner: l1.owner,
                rollupConfig: Bytes::from_static(ROLLUP_CONFIG),
            },
        );
        let (owner, oracle) = (l1.owner, l1.oracle);
        l1.chain
            .call(owner, oracle, U256::ZERO, OutputOracle::setDisputeGameFactoryCall { f: factory })
            .success();
        l1.chain
            .call(owner, factory, U256::ZERO, Dgf::setBridgeCall { newBridge: l1.bridge })
            .success();
        if set_genesis {
            l1.chain
                .call(
                    owner,
                    oracle,
                    U256::ZERO,
                    OutputOracle::setGenesisOutputRootCall { root: View::honest().root(0) },
                )
                .success();
        }
        l1.chain.install_code(EXECUTE_PRECOMPILE, fixed_root_precompile());
        Self { l1, factory, challenger, defender }
    }

    /// Makes the mock precompile return `root`.
    fn set_true_root(&mut self, root: B256) {
        self.l1.chain.set_storage(EXECUTE_PRECOMPILE, U256::ZERO, root.into());
    }

    fn game(&mut self, id: U256) -> Dgf::Game {
        self.l1.chain.view(self.factory, Dgf::getGameCall { gameId: id })
    }

    fn oracle_count(&mut self) -> U256 {
        self.l1.chain.view(self.l1.oracle, OutputOracle::outputCountCall {})
    }

    fn challenge_as(&mut self, who: Address, index: u64, counter: B256) -> Receipt {
        let call = Dgf::challengeCall { outputIndex: U256::from(index), counterRoot: counter };
        self.l1.chain.call(who, self.factory, wei(CHALLENGER_BOND), call)
    }

    /// Opens a game as the challenger and returns its id.
    fn challenge(&mut self, index: u64, counter: B256) -> U256 {
        let receipt = self.challenge_as(self.challenger, index, counter);
        receipt.success().event::<Dgf::GameCreated>(self.factory).gameId
    }

    fn move_as(&mut self, who: Address, id: U256, agree: bool, mid_root: B256) -> Receipt {
        let call = Dgf::moveCall { gameId: id, agreeWithPendingMid: agree, midRoot: mid_root };
        self.l1.chain.call(who, self.factory, U256::ZERO, call)
    }

    /// The move `view` makes in the game's current position: agree with the pending root iff it
    /// is `view`'s root there, then post `view`'s root at the new midpoint.
    fn honest_move(&mut self, id: U256, view: View) -> (bool, B256) {
        let g = self.game(id);
        let agree = g.hasPending && view.root(g.pendingBlock) == g.pendingRoot;
        let (lo, hi) = match (g.hasPending, agree) {
            (false, _) => (g.lo, g.hi),
            (true, true) => (g.pendingBlock, g.hi),
            (true, false) => (g.lo, g.pendingBlock),
        };
        let mid_root = if hi - lo > 1 { view.root(lo + (hi - lo) / 2) } else { B256::ZERO };
        (agree, mid_root)
    }

    /// Plays game `id` to the end of the bisection, each side following its view, `STEP`
    /// seconds per move. Returns the number of moves.
    fn bisect(&mut self, id: U256, proposer_view: View, challenger_view: View) -> usize {
        let mut moves = 0;
        loop {
            let g = self.game(id);
            if !g.hasPending && g.hi - g.lo <= 1 {
                return moves;
            }
            let (who, view) = if g.turn == PROPOSER {
                (self.l1.proposer, proposer_view)
            } else {
                (self.challenger, challenger_view)
            };
            let (agree, mid_root) = self.honest_move(id, view);
            self.l1.chain.advance(STEP);
            let receipt = self.move_as(who, id, agree, mid_root);
            let moved = receipt.success().event::<Dgf::Moved>(self.factory);
            assert_eq!(moved.side, g.turn);
            assert_eq!(moved.agreed, g.hasPending && agree);
            moves += 1;
            assert_eq!(
                self.l1.chain.view(self.factory, Dgf::moveCountCall { gameId: id }),
                U256::from(moves)
            );
        }
    }

    /// Makes `n` deposits in the current L1 block, then moves to the next block; returns that
    /// block's number and the deposits as `proveBlock` takes them.
    fn deposit_in_one_block(&mut self, n: usize) -> (u64, Vec<Dgf::Deposit>) {
        let number = self.l1.chain.block_number();
        let mut deposits = Vec::new();
        for i in 0..n {
            let call = Bridge::depositTransactionCall {
                to: account(0x50 + i as u8),
                value: wei(7),
                gasLimit: 50_000,
                data: Bytes::from(vec![i as u8; i + 1]),
            };
            let receipt = self.l1.chain.call(self.l1.user, self.l1.bridge, wei(ETHER), call);
            let e = receipt.success().event::<Bridge::TransactionDeposited>(self.l1.bridge);
            deposits.push(Dgf::Deposit {
                from: e.from,
                to: e.to,
                index: e.depositIndex,
                mint: e.mint,
                value: e.value,
                gasLimit: e.gasLimit,
                data: e.data,
            });
        }
        self.l1.chain.advance(12);
        (number, deposits)
    }

    /// Makes L1 block `number` a valid L1 origin for proofs (its header hash is known).
    fn publish_l1_header(&mut self, number: u64) {
        self.l1.chain.set_block_hash(number, keccak256(l1_header(number)));
    }

    fn prove(&mut self, proof: &Proof) -> Receipt {
        let caller = self.l1.user;
        self.l1.chain.call(caller, self.factory, U256::ZERO, proof.call())
    }
}

/// Arguments of `proveBlock`.
#[derive(Clone, Debug)]
struct Proof {
    game: U256,
    preimage: Bytes,
    parent: Bytes,
    batch_index: u64,
    batch_data: Bytes,
    l1_header: Bytes,
    l1_number: u64,
    deposits: Bytes,
    witness: Bytes,
}

impl Proof {
    /// A proof of block `lo + 1` from `agreed`'s view of block `lo`.
    fn new(
        game: U256,
        lo: u64,
        agreed: View,
        batch: (u64, &str),
        l1_number: u64,
        deposits: &[Dgf::Deposit],
    ) -> Self {
        let (s, w, h) = agreed.preimage(lo);
        Self {
            game,
            preimage: (s, w, h).abi_encode_params().into(),
            parent: agreed.header(lo),
            batch_index: batch.0,
            batch_data: Bytes::from(batch.1.as_bytes().to_vec()),
            l1_header: l1_header(l1_number),
            l1_number,
            deposits: deposits.to_vec().abi_encode().into(),
            witness: Bytes::from_static(b"state witness"),
        }
    }

    fn call(&self) -> Dgf::proveBlockCall {
        Dgf::proveBlockCall {
            gameId: self.game,
            preimage: self.preimage.clone(),
            parentHeader: self.parent.clone(),
            batchIndex: U256::from(self.batch_index),
            batchData: self.batch_data.clone(),
            l1Blocks: self.l1_blocks(),
            witness: self.witness.clone(),
        }
    }

    /// What the factory must pass to EXECUTE for this proof of block `hi`
    /// in the batch `record`: `abi.encode(hi, record, parentHeader, batchData,
    /// l1Blocks, witness, rollupConfig)`.
    fn execute_input(&self, hi: u64, record: rollup_contracts::BatchInbox::Batch) -> Vec<u8> {
        (
            hi,
            record,
            self.parent.clone(),
            self.batch_data.clone(),
            self.l1_blocks(),
            self.witness.clone(),
            Bytes::from_static(ROLLUP_CONFIG),
        )
            .abi_encode_params()
    }

    /// The `l1Blocks` argument: one L1 block (the origin) with its deposits.
    fn l1_blocks(&self) -> Bytes {
        vec![L1BlockData {
            number: self.l1_number,
            header: self.l1_header.clone(),
            deposits: self.deposits.clone(),
        }]
        .abi_encode()
        .into()
    }

    fn with(&self, f: impl FnOnce(&mut Self)) -> Self {
        let mut p = self.clone();
        f(&mut p);
        p
    }
}

#[test]
fn getters_and_configuration() {
    let mut d = Dispute::new();
    let (f, owner, user) = (d.factory, d.l1.owner, d.l1.user);
    let c = &mut d.l1.chain;
    assert_eq!(c.view(f, Dgf::outputOracleCall {}), d.l1.oracle);
    assert_eq!(c.view(f, Dgf::batchInboxCall {}), d.l1.inbox);
    assert_eq!(c.view(f, Dgf::bridgeCall {}), d.l1.bridge);
    assert_eq!(c.view(f, Dgf::ownerCall {}), owner);
    assert_eq!(c.view(f, Dgf::challengerBondCall {}), wei(CHALLENGER_BOND));
    assert_eq!(c.view(f, Dgf::clockSecondsCall {}), CLOCK);
    assert_eq!(c.view(f, Dgf::EXECUTE_PRECOMPILECall {}), EXECUTE_PRECOMPILE);
    assert_eq!(c.view(f, Dgf::gameCountCall {}), U256::ZERO);
    let active = c.view(f, Dgf::activeGameCall { outputIndex: U256::ZERO });
    assert!(!active.active);
    c.try_view(f, Dgf::getGameCall { gameId: U256::ZERO }).reverted_with::<Dgf::GameNotFound>();

    // The bridge is set once, by the owner.
    c.call(owner, f, U256::ZERO, Dgf::setBridgeCall { newBridge: user })
        .reverted_with::<Dgf::BridgeAlreadySet>();
    c.call(user, f, U256::ZERO, Dgf::setBridgeCall { newBridge: user })
        .reverted_with::<Dgf::Unauthorized>();

    // Defenders are managed by the owner.
    let defender = d.defender;
    c.call(user, f, U256::ZERO, Dgf::setDefenderCall { defender, allowed: true })
        .reverted_with::<Dgf::Unauthorized>();
    let receipt = c.call(owner, f, U256::ZERO, Dgf::setDefenderCall { defender, allowed: true });
    let e = receipt.event::<Dgf::DefenderSet>(f);
    assert_eq!((e.defender, e.allowed), (defender, true));
    assert!(c.view(f, Dgf::isDefenderCall { account: defender }));
    c.call(owner, f, U256::ZERO, Dgf::setDefenderCall { defender, allowed: false }).success();
    assert!(!c.view(f, Dgf::isDefenderCall { account: defender }));

    // Only the oracle may send ETH to the factory.
    c.send(user, f, wei(1), Bytes::new()).reverted_with::<Dgf::Unauthorized>();
    c.call(user, f, U256::ZERO, Dgf::claimCreditCall {}).reverted_with::<Dgf::NoCredit>();
}

#[test]
fn oracle_genesis_root_is_set_once_by_the_owner() {
    let mut d = Dispute::new_with_genesis(false);
    let (o, owner, user) = (d.l1.oracle, d.l1.owner, d.l1.user);
    let c = &mut d.l1.chain;
    assert_eq!(c.view(o, OutputOracle::genesisOutputRootCall {}), B256::ZERO);
    let root = B256::repeat_byte(7);
    c.call(user, o, U256::ZERO, OutputOracle::setGenesisOutputRootCall { root })
        .reverted_with::<OutputOracle::Unauthorized>();
    c.call(owner, o, U256::ZERO, OutputOracle::setGenesisOutputRootCall { root: B256::ZERO })
        .reverted_with::<OutputOracle::ZeroRoot>();
    let receipt = c.call(owner, o, U256::ZERO, OutputOracle::setGenesisOutputRootCall { root });
    assert_eq!(receipt.event::<OutputOracle::GenesisOutputRootSet>(o).root, root);
    assert_eq!(c.view(o, OutputOracle::genesisOutputRootCall {}), root);
    c.call(owner, o, U256::ZERO, OutputOracle::setGenesisOutputRootCall { root })
        .reverted_with::<OutputOracle::GenesisAlreadySet>();
}

#[test]
fn oracle_challenged_flag_and_bond_slashing() {
    // The hooks driven by a plain account registered as the factory.
    let mut l1 = L1::deploy();
    let (o, owner, user, proposer) = (l1.oracle, l1.owner, l1.user, l1.proposer);
    let factory = account(0xfa);
    l1.batch_until(10);
    l1.propose(2, B256::repeat_byte(1));
    l1.propose(4, B256::repeat_byte(2));
    l1.propose(6, B256::repeat_byte(3));
    let set = |index: u64, challenged: bool| OutputOracle::setChallengedCall {
        index: U256::from(index),
        challenged,
    };
    let slash =
        |index: u64, to: Address| OutputOracle::slashBondCall { index: U256::from(index), to };
    let is_final = |l1: &mut L1, index: u64| {
        l1.chain.view(o, OutputOracle::isFinalCall { index: U256::from(index) })
    };
    let is_challenged = |l1: &mut L1, index: u64| {
        l1.chain.view(o, OutputOracle::isChallengedCall { index: U256::from(index) })
    };

    // No factory yet: nobody may use the hooks.
    l1.chain
        .call(factory, o, U256::ZERO, set(1, true))
        .reverted_with::<OutputOracle::Unauthorized>();
    l1.chain
        .call(owner, o, U256::ZERO, OutputOracle::setDisputeGameFactoryCall { f: factory })
        .success();
    l1.chain.call(user, o, U256::ZERO, set(1, true)).reverted_with::<OutputOracle::Unauthorized>();
    l1.chain
        .call(user, o, U256::ZERO, slash(1, user))
        .reverted_with::<OutputOracle::Unauthorized>();
    l1.chain
        .call(factory, o, U256::ZERO, set(3, true))
        .reverted_with::<OutputOracle::OutputNotFound>();

    // Challenging output 1 keeps it and every later output from finalizing; output 0 is not
    // affected.
    let receipt = l1.chain.call(factory, o, U256::ZERO, set(1, true));
    let e = receipt.event::<OutputOracle::OutputChallenged>(o);
    assert_eq!((e.outputIndex, e.challenged), (U256::from(1), true));
    assert!(is_challenged(&mut l1, 1));
    assert!(!is_challenged(&mut l1, 2));
    l1.chain.advance(CHALLENGE_WINDOW);
    assert!(is_final(&mut l1, 0));
    assert!(!is_final(&mut l1, 1));
    assert!(!is_final(&mut l1, 2));
    // Two challenged outputs: the earliest one holds back the rest.
    l1.chain.call(factory, o, U256::ZERO, set(2, true)).success();
    l1.chain.call(factory, o, U256::ZERO, set(1, false)).success();
    assert!(is_final(&mut l1, 1));
    assert!(!is_final(&mut l1, 2));
    l1.chain.call(factory, o, U256::ZERO, set(2, false)).success();
    assert!(is_final(&mut l1, 2));
    // Final outputs can no longer be challenged, deleted or slashed.
    l1.chain
        .call(factory, o, U256::ZERO, set(2, true))
        .reverted_with::<OutputOracle::OutputAlreadyFinal>();
    l1.chain
        .call(factory, o, U256::ZERO, slash(2, user))
        .reverted_with::<OutputOracle::OutputAlreadyFinal>();

    // Slashing a live, non-final output pays its bond once and marks it.
    l1.propose(8, B256::repeat_byte(4));
    l1.propose(9, B256::repeat_byte(5));
    let beneficiary = account(0xbe);
    let receipt = l1.chain.call(factory, o, U256::ZERO, slash(3, beneficiary));
    let e = receipt.event::<OutputOracle::BondSlashed>(o);
    assert_eq!((e.outputIndex, e.to, e.amount), (U256::from(3), beneficiary, wei(BOND)));
    assert_eq!(l1.chain.balance(beneficiary), wei(BOND));
    assert!(l1.chain.view(o, OutputOracle::getOutputCall { index: U256::from(3) }).bondReclaimed);
    l1.chain
        .call(factory, o, U256::ZERO, slash(3, beneficiary))
        .reverted_with::<OutputOracle::BondAlreadyReclaimed>();

    // Deleting outputs 3 and 4 (4 challenged) clears the flag; the unslashed bond of 4 can be
    // slashed after the deletion, once, and 3's bond (already slashed) cannot.
    l1.chain.call(factory, o, U256::ZERO, set(4, true)).success();
    l1.chain
        .call(factory, o, U256::ZERO, OutputOracle::deleteOutputsCall { fromIndex: U256::from(3) })
        .success();
    assert!(!is_challenged(&mut l1, 4));
    l1.chain
        .call(factory, o, U256::ZERO, slash(3, beneficiary))
        .reverted_with::<OutputOracle::BondAlreadyReclaimed>();
    l1.chain.call(factory, o, U256::ZERO, slash(4, beneficiary)).success();
    assert_eq!(l1.chain.balance(beneficiary), wei(2 * BOND));
    l1.chain
        .call(factory, o, U256::ZERO, slash(4, beneficiary))
        .reverted_with::<OutputOracle::BondAlreadyReclaimed>();
    // A re-proposal at a deleted index starts unchallenged and final on time.
    let index = l1.propose(8, B256::repeat_byte(6));
    assert_eq!(index, U256::from(3));
    assert!(!is_challenged(&mut l1, 3));
    l1.chain.advance(CHALLENGE_WINDOW);
    assert!(is_final(&mut l1, 3));
    // The proposer can still reclaim the bonds of outputs that became final.
    let before = l1.chain.balance(proposer);
    l1.chain.call(user, o, U256::ZERO, OutputOracle::reclaimBondCall { index }).success();
    assert_eq!(l1.chain.balance(proposer), before + wei(BOND));
}

#[test]
fn bridge_records_deposit_blocks() {
    let mut d = Dispute::new();
    let (first_block, first) = d.deposit_in_one_block(2);
    let (second_block, _) = d.deposit_in_one_block(1);
    assert_eq!(second_block, first_block + 1);
    assert_eq!(first.len(), 2);
    let bridge = d.l1.bridge;
    for (index, block) in [(0u64, first_block), (1, first_block), (2, second_block)] {
        let got = d.l1.chain.view(bridge, Bridge::depositBlockCall { index: U256::from(index) });
        assert_eq!(got, block);
    }
    let missing = d.l1.chain.try_view(bridge, Bridge::depositBlockCall { index: U256::from(3) });
    assert!(!missing.result.is_success());

    // The factory's deposit hash is the Bridge's: running hash 1 = H(H(0 || d0) || d1).
    let f = d.factory;
    let mut running = B256::ZERO;
    for deposit in &first {
        let leaf = d.l1.chain.view(f, Dgf::hashDepositCall { d: deposit.clone() });
        running = keccak256([running.as_slice(), leaf.as_slice()].concat());
    }
    assert_eq!(
        d.l1.chain.view(bridge, Bridge::depositHashesCall { index: U256::from(1) }),
        running
    );
}

#[test]
fn challenges_are_checked() {
    let mut d = Dispute::new_with_genesis(false);
    d.l1.batch_until(20);
    let honest = View::honest();
    d.l1.propose(10, honest.root(10));
    d.l1.propose(20, honest.root(20));
    let (f, challenger, user) = (d.factory, d.challenger, d.l1.user);
    let counter = B256::repeat_byte(0xcc);

    for value in [0, CHALLENGER_BOND - 1, CHALLENGER_BOND + 1, BOND] {
        let call = Dgf::challengeCall { outputIndex: U256::from(1), counterRoot: counter };
        d.l1.chain.call(challenger, f, wei(value), call).reverted_with::<Dgf::WrongBond>();
    }
    d.challenge_as(challenger, 2, counter).reverted_with::<Dgf::OutputNotFound>();
    d.challenge_as(challenger, 1, honest.root(20)).reverted_with::<Dgf::SameRoot>();
    // Output 0 needs the genesis output root as its anchor.
    d.challenge_as(challenger, 0, counter).reverted_with::<Dgf::GenesisNotSet>();
    let (owner, oracle) = (d.l1.owner, d.l1.oracle);
    d.l1.chain
        .call(
            owner,
            oracle,
            U256::ZERO,
            OutputOracle::setGenesisOutputRootCall { root: honest.root(0) },
        )
        .success();

    let before = d.l1.chain.balance(challenger);
    let ts = d.l1.chain.timestamp();
    let receipt = d.challenge_as(challenger, 0, counter);
    let e = receipt.success().event::<Dgf::GameCreated>(f);
    assert_eq!((e.gameId, e.outputIndex, e.challenger), (U256::ZERO, U256::ZERO, challenger));
    assert_eq!((e.lo, e.hi), (0, 10));
    assert_eq!(
        (e.loRoot, e.proposerRoot, e.counterRoot),
        (honest.root(0), honest.root(10), counter)
    );
    assert_eq!(d.l1.chain.balance(challenger), before - wei(CHALLENGER_BOND));
    assert_eq!(d.l1.chain.balance(f), wei(CHALLENGER_BOND));
    let g = d.game(U256::ZERO);
    assert_eq!((g.outputIndex, g.challenger, g.lo, g.hi), (U256::ZERO, challenger, 0, 10));
    assert_eq!((g.loRoot, g.hiRoot, g.counterRoot), (honest.root(0), honest.root(10), counter));
    assert_eq!((g.hiClaimant, g.turn, g.status), (PROPOSER, PROPOSER, IN_PROGRESS));
    assert_eq!((g.hasPending, g.pendingBlock, g.pendingRoot), (false, 0, B256::ZERO));
    assert_eq!((g.proposerClock, g.challengerClock, g.lastMoveAt), (0, 0, ts));
    let active = d.l1.chain.view(f, Dgf::activeGameCall { outputIndex: U256::ZERO });
    assert_eq!((active.active, active.gameId), (true, U256::ZERO));
    assert!(d.l1.chain.view(oracle, OutputOracle::isChallengedCall { index: U256::ZERO }));

    // One game per output at a time; anyone may challenge another output.
    d.challenge_as(user, 0, counter).reverted_with::<Dgf::AlreadyChallenged>();
    let receipt = d.challenge_as(user, 1, counter);
    let e = receipt.success().event::<Dgf::GameCreated>(f);
    assert_eq!((e.gameId, e.outputIndex, e.lo, e.hi), (U256::from(1), U256::from(1), 10, 20));
    assert_eq!(e.loRoot, honest.root(10));
    assert_eq!(d.l1.chain.view(f, Dgf::gameCountCall {}), U256::from(2));

    // While challenged, neither output finalizes.
    d.l1.chain.advance(CHALLENGE_WINDOW);
    for index in [0u64, 1] {
        let call = OutputOracle::isFinalCall { index: U256::from(index) };
        assert!(!d.l1.chain.view(oracle, call));
    }
}

/// Honest challenger against a proposer whose chain diverges at L2 block 47: output 1 covers
/// blocks 10..=74 (a range of 64), the bisection ends at 46..47 within 7 moves, and the proof
/// deletes outputs 1 and 2 and pays the challenger the proposer's bond.
#[test]
fn honest_challenger_wins_a_64_block_bisection() {
    let mut d = Dispute::new();
    let (f, oracle, challenger, proposer) = (d.factory, d.l1.oracle, d.challenger, d.l1.proposer);
    let (honest, liar) = (View::honest(), View::lying_from(47));
    d.l1.batch_until(40); // batch 0: blocks 1..=40
    d.l1.batch_until(80); // batch 1: blocks 41..=80
    let (origin, deposits) = d.deposit_in_one_block(2);
    d.deposit_in_one_block(1);
    d.publish_l1_header(origin);

    d.l1.propose(10, liar.root(10));
    d.l1.propose(74, liar.root(74));
    d.l1.propose(80, liar.root(80));
    assert_eq!(d.oracle_count(), U256::from(3));

    let challenger_start = d.l1.chain.balance(challenger);
    let proposer_start = d.l1.chain.balance(proposer);
    let id = d.challenge(1, honest.root(74));
    let g = d.game(id);
    assert_eq!((g.lo, g.hi), (10, 74));

    // Not yet bisected.
    let early = Proof::new(id, 10, honest, (1, "blocks 41..=80"), origin, &deposits);
    d.prove(&early).reverted_with::<Dgf::BisectionNotDone>();

    let moves = d.bisect(id, liar, honest);
    // ceil(log2(64)) + 1
    assert_eq!(moves, 7);
    let g = d.game(id);
    assert_eq!((g.lo, g.hi, g.hasPending), (46, 47, false));
    assert_eq!(g.loRoot, honest.root(46));
    // The proposer disagreed with the challenger's root at 47 last, so that is the claim.
    assert_eq!((g.hiRoot, g.hiClaimant), (honest.root(47), CHALLENGER));
    assert_eq!(g.status, IN_PROGRESS);
    assert_eq!(g.proposerClock + g.challengerClock, moves as u64 * STEP);
    // The move list is on-chain.
    let first = d.l1.chain.view(f, Dgf::getMoveCall { gameId: id, i: U256::ZERO });
    assert_eq!(
        (first.side, first.agreed, first.lo, first.hi, first.midBlock),
        (PROPOSER, false, 10, 74, 42)
    );
    assert_eq!(first.midRoot, liar.root(42));
    let last = d.l1.chain.view(f, Dgf::getMoveCall { gameId: id, i: U256::from(moves - 1) });
    assert_eq!((last.lo, last.hi, last.midBlock, last.midRoot), (46, 47, 0, B256::ZERO));
    d.l1.chain
        .try_view(f, Dgf::getMoveCall { gameId: id, i: U256::from(moves) })
        .reverted_with::<Dgf::MoveNotFound>();
    // Nothing left to bisect.
    let mover = if g.turn == PROPOSER { proposer } else { challenger };
    d.move_as(mover, id, true, B256::ZERO).reverted_with::<Dgf::BisectionDone>();

    // Every input of the proof is checked.
    let proof = Proof::new(id, 46, honest, (1, "blocks 41..=80"), origin, &deposits);
    d.set_true_root(honest.root(47));
    let other = View::lying_from(0).preimage(46);
    d.prove(&proof.with(|p| p.preimage = other.abi_encode_params().into()))
        .reverted_with::<Dgf::BadPreimage>();
    d.prove(&proof.with(|p| p.preimage = Bytes::from(vec![0; 64])))
        .reverted_with::<Dgf::BadPreimage>();
    d.prove(&proof.with(|p| p.parent = liar.header(47))).reverted_with::<Dgf::BadParentHeader>();
    d.prove(&proof.with(|p| p.batch_index = 0)).reverted_with::<Dgf::BadBatch>();
    d.prove(&proof.with(|p| p.batch_index = 2)).reverted_with::<Dgf::BadBatch>();
    d.prove(&proof.with(|p| p.batch_data = Bytes::from_static(b"blocks 41..=81")))
        .reverted_with::<Dgf::BadBatch>();
    d.prove(&proof.with(|p| p.l1_header = l1_header(origin + 1)))
        .reverted_with::<Dgf::BadL1Origin>();
    d.prove(&proof.with(|p| p.l1_number = origin + 1)).reverted_with::<Dgf::BadL1Origin>();
    d.prove(&proof.with(|p| p.deposits = Vec::<Dgf::Deposit>::new().abi_encode().into()))
        .reverted_with::<Dgf::BadDeposits>();

    let receipt = d.prove(&proof);
    let proven = receipt.success().event::<Dgf::BlockProven>(f);
    assert_eq!((proven.gameId, proven.block, proven.outputRoot), (id, 47, honest.root(47)));
    let resolved = receipt.event::<Dgf::GameResolved>(f);
    assert_eq!(
        (resolved.gameId, resolved.winner, resolved.reason.as_str()),
        (id, CHALLENGER, "proof")
    );
    let deleted = receipt.event::<OutputOracle::OutputsDeleted>(oracle);
    assert_eq!((deleted.fromIndex, deleted.prevNextIndex), (U256::from(1), U256::from(3)));
    let slashed = receipt.event::<OutputOracle::BondSlashed>(oracle);
    assert_eq!((slashed.outputIndex, slashed.to, slashed.amount), (U256::from(1), f, wei(BOND)));

    assert_eq!(d.game(id).status, CHALLENGER_WON);
    assert_eq!(d.oracle_count(), U256::from(1));
    assert!(!d.l1.chain.view(oracle, OutputOracle::isChallengedCall { index: U256::from(1) }));
    assert!(!d.l1.chain.view(f, Dgf::activeGameCall { outputIndex: U256::from(1) }).active);
    assert_eq!(d.l1.chain.balance(challenger), challenger_start + wei(BOND));
    assert_eq!(d.l1.chain.balance(proposer), proposer_start);
    assert_eq!(d.l1.chain.balance(f), U256::ZERO);
    // Bonds of outputs 0 (live) and 2 (deleted with 1) stay in the oracle.
    assert_eq!(d.l1.chain.balance(oracle), wei(2 * BOND));
    // The game is over.
    d.prove(&proof).reverted_with::<Dgf::GameNotInProgress>();
    d.l1.chain
        .call(challenger, f, U256::ZERO, Dgf::timeoutCall { gameId: id })
        .reverted_with::<Dgf::GameNotInProgress>();

    // The output can be re-proposed and challenged afresh.
    let index = d.l1.propose(74, honest.root(74));
    assert_eq!(index, U256::from(1));
    assert!(!d.l1.chain.view(oracle, OutputOracle::isChallengedCall { index }));
}

/// A lying challenger against an honest proposer (moves by a defender): the proposer side wins,
/// the output survives and finalizes after its window, and the proposer gets the challenger's
/// bond. The L1 origin of the disputed block has no deposits (empty list).
#[test]
fn lying_challenger_loses() {
    let mut d = Dispute::new();
    let (f, oracle, owner, proposer, challenger, defender) =
        (d.factory, d.l1.oracle, d.l1.owner, d.l1.proposer, d.challenger, d.defender);
    let (honest, liar) = (View::honest(), View::lying_from(5));
    d.l1.chain
        .call(owner, f, U256::ZERO, Dgf::setDefenderCall { defender, allowed: true })
        .success();
    d.deposit_in_one_block(1);
    let origin = d.l1.chain.block_number();
    d.l1.chain.advance(12);
    d.deposit_in_one_block(1);
    d.publish_l1_header(origin);
    d.l1.batch_until(16);
    let index = d.l1.propose(16, honest.root(16));
    assert_eq!(index, U256::ZERO);

    let proposer_start = d.l1.chain.balance(proposer);
    let challenger_start = d.l1.chain.balance(challenger);
    let id = d.challenge(0, liar.root(16));
    let g = d.game(id);
    assert_eq!((g.lo, g.hi, g.loRoot), (0, 16, honest.root(0)));

    // The defender plays the proposer side.
    let mut moves = 0;
    loop {
        let g = d.game(id);
        if !g.hasPending && g.hi - g.lo <= 1 {
            break;
        }
        let (who, view) = if g.turn == PROPOSER { (defender, honest) } else { (challenger, liar) };
        let (agree, mid_root) = d.honest_move(id, view);
        d.l1.chain.advance(STEP);
        d.move_as(who, id, agree, mid_root).success();
        moves += 1;
    }
    assert!(moves <= 5, "{moves} moves");
    let g = d.game(id);
    assert_eq!((g.lo, g.hi), (4, 5));

    // Block 5 has its L1 origin in a block without deposits: the empty list is complete.
    d.set_true_root(honest.root(5));
    let proof = Proof::new(id, 4, honest, (0, "blocks 1..=16"), origin, &[]);
    let receipt = d.prove(&proof);
    let resolved = receipt.success().event::<Dgf::GameResolved>(f);
    assert_eq!((resolved.winner, resolved.reason.as_str()), (PROPOSER, "proof"));
    assert_eq!(d.game(id).status, PROPOSER_WON);
    assert_eq!(d.oracle_count(), U256::from(1));
    assert!(!d.l1.chain.view(oracle, OutputOracle::isChallengedCall { index }));
    assert_eq!(d.l1.chain.balance(proposer), proposer_start + wei(CHALLENGER_BOND));
    assert_eq!(d.l1.chain.balance(challenger), challenger_start - wei(CHALLENGER_BOND));
    assert_eq!(d.l1.chain.balance(defender), wei(1_000 * ETHER));

    // Final after the window; the proposer reclaims its own bond as usual.
    assert!(!d.l1.chain.view(oracle, OutputOracle::isFinalCall { index }));
    d.l1.chain.advance(CHALLENGE_WINDOW);
    assert!(d.l1.chain.view(oracle, OutputOracle::isFinalCall { index }));
    d.challenge_as(challenger, 0, liar.root(16)).reverted_with::<Dgf::OutputAlreadyFinal>();
    d.l1.chain
        .call(proposer, oracle, U256::ZERO, OutputOracle::reclaimBondCall { index })
        .success();
}

#[test]
fn sides_and_turns_are_enforced() {
    let mut d = Dispute::new();
    let (f, owner, proposer, challenger, defender, user) =
        (d.factory, d.l1.owner, d.l1.proposer, d.challenger, d.defender, d.l1.user);
    d.l1.batch_until(8);
    d.l1.propose(8, View::honest().root(8));
    let id = d.challenge(0, B256::repeat_byte(0xcc));
    let root = B256::repeat_byte(1);

    // Proposer side first.
    d.move_as(challenger, id, false, root).reverted_with::<Dgf::NotYourTurn>();
    d.move_as(user, id, false, root).reverted_with::<Dgf::Unauthorized>();
    d.move_as(defender, id, false, root).reverted_with::<Dgf::Unauthorized>();
    d.l1.chain
        .call(
            user,
            f,
            U256::ZERO,
            Dgf::moveCall { gameId: U256::from(9), agreeWithPendingMid: false, midRoot: root },
        )
        .reverted_with::<Dgf::GameNotFound>();
    let receipt = d.move_as(proposer, id, true, root);
    let e = receipt.success().event::<Dgf::Moved>(f);
    // The first move has nothing to agree with: it only posts the midpoint.
    assert_eq!(
        (e.side, e.agreed, e.lo, e.hi, e.midBlock, e.midRoot),
        (PROPOSER, false, 0, 8, 4, root)
    );

    // Then the challenger.
    d.move_as(proposer, id, true, root).reverted_with::<Dgf::NotYourTurn>();
    d.move_as(user, id, true, root).reverted_with::<Dgf::Unauthorized>();
    let root2 = B256::repeat_byte(2);
    let e = d.move_as(challenger, id, false, root2).success().event::<Dgf::Moved>(f);
    assert_eq!(
        (e.side, e.agreed, e.lo, e.hi, e.midBlock, e.midRoot),
        (CHALLENGER, false, 0, 4, 2, root2)
    );
    let g = d.game(id);
    // Disagreeing made the proposer's midpoint root the disputed claim.
    assert_eq!((g.hi, g.hiRoot, g.hiClaimant, g.turn), (4, root, PROPOSER, PROPOSER));
    assert_eq!((g.pendingBlock, g.pendingRoot, g.hasPending), (2, root2, true));

    // A defender appointed by the owner may move for the proposer side.
    d.move_as(defender, id, true, root).reverted_with::<Dgf::Unauthorized>();
    d.l1.chain
        .call(owner, f, U256::ZERO, Dgf::setDefenderCall { defender, allowed: true })
        .success();
    d.move_as(challenger, id, true, root).reverted_with::<Dgf::NotYourTurn>();
    let root3 = B256::repeat_byte(3);
    let e = d.move_as(defender, id, true, root3).success().event::<Dgf::Moved>(f);
    // Agreeing made the challenger's midpoint root the agreed anchor.
    assert_eq!(
        (e.side, e.agreed, e.lo, e.hi, e.midBlock, e.midRoot),
        (PROPOSER, true, 2, 4, 3, root3)
    );
    let g = d.game(id);
    assert_eq!((g.lo, g.loRoot, g.hi, g.hiRoot), (2, root2, 4, root));
}

#[test]
fn a_side_that_stops_moving_loses_on_time() {
    // The challenger stops: the proposer wins by the clock.
    let mut d = Dispute::new();
    let (f, proposer, challenger, user) = (d.factory, d.l1.proposer, d.challenger, d.l1.user);
    d.l1.batch_until(32);
    d.l1.propose(32, View::honest().root(32));
    let id = d.challenge(0, B256::repeat_byte(0xcc));
    let timeout = Dgf::timeoutCall { gameId: id };

    d.l1.chain.advance(100);
    d.move_as(proposer, id, false, B256::repeat_byte(1)).success();
    assert_eq!(d.game(id).proposerClock, 100);
    d.l1.chain.advance(200);
    d.move_as(challenger, id, false, B256::repeat_byte(2)).success();
    d.l1.chain.advance(150);
    d.move_as(proposer, id, false, B256::repeat_byte(3)).success();
    let g = d.game(id);
    assert_eq!((g.proposerClock, g.challengerClock), (250, 200));

    // The challenger has 400 s left.
    d.l1.chain.advance(CLOCK - 200);
    d.l1.chain.call(user, f, U256::ZERO, timeout.clone()).reverted_with::<Dgf::ClockNotExpired>();
    d.l1.chain.advance(1);
    d.move_as(challenger, id, false, B256::repeat_byte(4)).reverted_with::<Dgf::ClockExpired>();
    let proposer_start = d.l1.chain.balance(proposer);
    let receipt = d.l1.chain.call(user, f, U256::ZERO, timeout.clone());
    let resolved = receipt.success().event::<Dgf::GameResolved>(f);
    assert_eq!((resolved.winner, resolved.reason.as_str()), (PROPOSER, "clock"));
    assert_eq!(d.game(id).status, PROPOSER_WON);
    assert_eq!(d.l1.chain.balance(proposer), proposer_start + wei(CHALLENGER_BOND));
    assert_eq!(d.oracle_count(), U256::from(1));
    d.l1.chain.call(user, f, U256::ZERO, timeout).reverted_with::<Dgf::GameNotInProgress>();

    // The proposer side stops: the challenger wins by the clock and the output is deleted.
    let mut d = Dispute::new();
    let (f, proposer, challenger, user) = (d.factory, d.l1.proposer, d.challenger, d.l1.user);
    d.l1.batch_until(32);
    d.l1.propose(32, View::honest().root(32));
    let challenger_start = d.l1.chain.balance(challenger);
    let id = d.challenge(0, B256::repeat_byte(0xcc));
    d.l1.chain.advance(CLOCK);
    d.l1.chain
        .call(user, f, U256::ZERO, Dgf::timeoutCall { gameId: id })
        .reverted_with::<Dgf::ClockNotExpired>();
    d.l1.chain.advance(1);
    d.move_as(proposer, id, false, B256::repeat_byte(1)).reverted_with::<Dgf::ClockExpired>();
    let receipt = d.l1.chain.call(user, f, U256::ZERO, Dgf::timeoutCall { gameId: id });
    let resolved = receipt.success().event::<Dgf::GameResolved>(f);
    assert_eq!((resolved.winner, resolved.reason.as_str()), (CHALLENGER, "clock"));
    assert_eq!(d.oracle_count(), U256::ZERO);
    assert_eq!(d.l1.chain.balance(challenger), challenger_start + wei(BOND));
}

/// Consecutive outputs (hi - lo == 1 from the start) go straight to the proof; the deposits of
/// the L1 origin must be exactly those of that L1 block.
#[test]
fn proof_deposits_must_be_complete() {
    let mut d = Dispute::new();
    let f = d.factory;
    let honest = View::honest();
    let (_, before) = d.deposit_in_one_block(1); // deposit 0
    let (origin, deposits) = d.deposit_in_one_block(3); // deposits 1, 2, 3
    let (_, after) = d.deposit_in_one_block(1); // deposit 4
    d.publish_l1_header(origin);
    d.l1.batch_until(11);
    d.l1.propose(10, honest.root(10));
    d.l1.propose(11, B256::repeat_byte(0x11));
    let id = d.challenge(1, honest.root(11));
    let g = d.game(id);
    assert_eq!((g.lo, g.hi, g.hasPending), (10, 11, false));
    // No bisection: no move is possible, the proof is.
    let proposer = d.l1.proposer;
    d.move_as(proposer, id, true, B256::ZERO).reverted_with::<Dgf::BisectionDone>();

    let proof = Proof::new(id, 10, honest, (0, "blocks 1..=11"), origin, &deposits);
    let with_deposits = |ds: Vec<Dgf::Deposit>| proof.with(|p| p.deposits = ds.abi_encode().into());
    d.set_true_root(honest.root(11));
    // Incomplete at either end, or reaching into the neighbouring L1 blocks.
    d.prove(&with_deposits(deposits[..2].to_vec())).reverted_with::<Dgf::BadDeposits>();
    d.prove(&with_deposits(deposits[1..].to_vec())).reverted_with::<Dgf::BadDeposits>();
    d.prove(&with_deposits(vec![deposits[0].clone(), deposits[2].clone()]))
        .reverted_with::<Dgf::BadDeposits>();
    d.prove(&with_deposits([before, deposits.clone()].concat()))
        .reverted_with::<Dgf::BadDeposits>();
    d.prove(&with_deposits([deposits.clone(), after].concat())).reverted_with::<Dgf::BadDeposits>();
    d.prove(&with_deposits(vec![])).reverted_with::<Dgf::BadDeposits>();
    // Tampered content.
    let mut tampered = deposits;
    tampered[1].mint += wei(1);
    d.prove(&with_deposits(tampered)).reverted_with::<Dgf::BadDeposits>();
    // Not the canonical encoding, or not an encoding at all.
    d.prove(&proof.with(|p| p.deposits = [p.deposits.to_vec(), vec![0; 32]].concat().into()))
        .reverted_with::<Dgf::BadDeposits>();
    d.prove(&proof.with(|p| p.deposits = Bytes::new())).reverted_with::<Dgf::BadDeposits>();
    // The deposits of another L1 block are complete for that block, but that is not the origin.
    d.publish_l1_header(origin + 1);
    d.prove(&proof.with(|p| {
        p.l1_number = origin + 1;
        p.l1_header = l1_header(origin + 1);
    }))
    .reverted_with::<Dgf::BadDeposits>();

    let receipt = d.prove(&proof);
    let resolved = receipt.success().event::<Dgf::GameResolved>(f);
    assert_eq!(resolved.winner, CHALLENGER);
}

/// The protocol parameters the factory is deployed with (opaque to it).
const ROLLUP_CONFIG: &[u8] = b"abi.encode(ProtocolParams)";

/// The precompile gets `abi.encode(uint64 hi, Batch batch, parentHeader, batchData, l1Blocks,
/// witness, rollupConfig)`; its failure or a malformed answer reverts the proof.
#[test]
fn execute_precompile_input_and_failures() {
    let mut d = Dispute::new();
    let f = d.factory;
    let honest = View::honest();
    let (origin, deposits) = d.deposit_in_one_block(1);
    d.publish_l1_header(origin);
    d.l1.batch_until(3);
    d.l1.propose(2, honest.root(2));

    let batch = (0, "blocks 1..=3");
    let expected_input = {
        let record =
            d.l1.chain
                .view(d.l1.inbox, rollup_contracts::BatchInbox::getBatchCall { index: U256::ZERO });
        Proof::new(U256::ZERO, 2, honest, batch, origin, &deposits).execute_input(3, record)
    };
    assert_eq!(d.l1.chain.view(f, Dgf::rollupConfigCall {}), Bytes::from_static(ROLLUP_CONFIG));
    // The proposer claims exactly the hash of the expected input for block 3.
    d.l1.propose(3, keccak256(&expected_input));
    let id = d.challenge(1, honest.root(3));
    let proof = Proof::new(id, 2, honest, batch, origin, &deposits);

    d.l1.chain.install_code(EXECUTE_PRECOMPILE, Bytes::new());
    d.prove(&proof).reverted_with::<Dgf::ExecutionFailed>();
    d.l1.chain.install_code(EXECUTE_PRECOMPILE, reverter_runtime());
    d.prove(&proof).reverted_with::<Dgf::ExecutionFailed>();
    // Returns 33 bytes.
    d.l1.chain.install_code(EXECUTE_PRECOMPILE, Bytes::from_static(&[0x60, 0x21, 0x5f, 0xf3]));
    d.prove(&proof).reverted_with::<Dgf::ExecutionFailed>();

    d.l1.chain.install_code(EXECUTE_PRECOMPILE, hashing_precompile());
    let receipt = d.prove(&proof);
    assert_eq!(
        receipt.success().event::<Dgf::BlockProven>(f).outputRoot,
        keccak256(&expected_input)
    );
    assert_eq!(receipt.event::<Dgf::GameResolved>(f).winner, PROPOSER);
}

/// A blob batch's proof carries the blobs as `batchData`: the factory cannot compute KZG
/// commitments, so it leaves that check to the precompile (which hashes the blobs' versioned
/// hashes against the batch commitment) and passes the record with `isBlob` set; the range
/// check still applies.
#[test]
fn blob_batches_go_to_the_precompile_with_their_record() {
    let mut d = Dispute::new();
    let f = d.factory;
    let honest = View::honest();
    let (origin, deposits) = d.deposit_in_one_block(1);
    d.publish_l1_header(origin);
    d.l1.batch_until(2);
    let (batcher, inbox) = (d.l1.batcher, d.l1.inbox);
    let mut versioned = B256::repeat_byte(7);
    versioned[0] = 0x01;
    d.l1.chain
        .call_with_blobs(
            batcher,
            inbox,
            rollup_contracts::BatchInbox::appendBlobBatchCall {
                l2Start: 3,
                l2End: 3,
                blobCount: U256::from(1),
            },
            vec![versioned],
        )
        .success();
    let record =
        d.l1.chain.view(inbox, rollup_contracts::BatchInbox::getBatchCall { index: U256::from(1) });
    assert!(record.isBlob);
    d.l1.propose(2, honest.root(2));
    let blobs = "the blob bytes (not keccak-committed)";
    let expected_input = {
        Proof::new(U256::ZERO, 2, honest, (1, blobs), origin, &deposits).execute_input(3, record)
    };
    d.l1.propose(3, keccak256(&expected_input));
    let id = d.challenge(1, honest.root(3));
    // The calldata batch before does not hold block 3.
    d.prove(&Proof::new(id, 2, honest, (0, "blocks 1..=2"), origin, &deposits))
        .reverted_with::<Dgf::BadBatch>();
    d.l1.chain.install_code(EXECUTE_PRECOMPILE, hashing_precompile());
    let receipt = d.prove(&Proof::new(id, 2, honest, (1, blobs), origin, &deposits));
    assert_eq!(
        receipt.success().event::<Dgf::BlockProven>(f).outputRoot,
        keccak256(&expected_input)
    );
}

/// When the challenger of an earlier output wins, games about later outputs are cancelled and
/// their challengers' bonds credited; a winner that rejects ETH is credited too.
#[test]
fn later_games_are_cancelled_and_failed_payments_credited() {
    let mut d = Dispute::new();
    let (f, user) = (d.factory, d.l1.user);
    let honest = View::honest();
    d.l1.batch_until(30);
    d.l1.propose(10, honest.root(10));
    d.l1.propose(20, B256::repeat_byte(0x20));
    d.l1.propose(30, B256::repeat_byte(0x30));

    // Game 0 about output 2 by a plain account; game 1 about output 1 by a contract that
    // rejects plain ETH transfers (the forwarder).
    let game2 = d.challenge(2, honest.root(30));
    let forwarder = account(0xf0);
    d.l1.chain.install_code(forwarder, forwarder_runtime());
    let call = Dgf::challengeCall { outputIndex: U256::from(1), counterRoot: honest.root(20) };
    let receipt =
        d.l1.chain.send(user, forwarder, wei(CHALLENGER_BOND), forward(f, call.abi_encode()));
    let game1 = receipt.success().event::<Dgf::GameCreated>(f).gameId;
    assert_eq!(d.game(game1).challenger, forwarder);

    // Output 1's proposer side never moves.
    d.l1.chain.advance(CLOCK + 1);
    let receipt = d.l1.chain.call(user, f, U256::ZERO, Dgf::timeoutCall { gameId: game1 });
    receipt.success();
    let cancelled = receipt.event::<Dgf::GameCancelled>(f);
    assert_eq!((cancelled.gameId, cancelled.outputIndex), (game2, U256::from(2)));
    let credited = receipt.event::<Dgf::PaymentCredited>(f);
    assert_eq!((credited.to, credited.amount), (forwarder, wei(CHALLENGER_BOND + BOND)));

    assert_eq!(d.game(game1).status, CHALLENGER_WON);
    assert_eq!(d.game(game2).status, CANCELLED);
    assert!(!d.l1.chain.view(f, Dgf::activeGameCall { outputIndex: U256::from(2) }).active);
    assert_eq!(d.oracle_count(), U256::from(1));
    let challenger = d.challenger;
    assert_eq!(d.l1.chain.view(f, Dgf::creditCall { account: challenger }), wei(CHALLENGER_BOND));
    assert_eq!(
        d.l1.chain.view(f, Dgf::creditCall { account: forwarder }),
        wei(CHALLENGER_BOND + BOND)
    );
    d.l1.chain
        .call(user, f, U256::ZERO, Dgf::timeoutCall { gameId: game2 })
        .reverted_with::<Dgf::GameNotInProgress>();

    // The credits are withdrawn by their owners.
    let before = d.l1.chain.balance(challenger);
    let receipt = d.l1.chain.call(challenger, f, U256::ZERO, Dgf::claimCreditCall {});
    let e = receipt.success().event::<Dgf::CreditClaimed>(f);
    assert_eq!((e.to, e.amount), (challenger, wei(CHALLENGER_BOND)));
    assert_eq!(d.l1.chain.balance(challenger), before + wei(CHALLENGER_BOND));
    d.l1.chain
        .call(challenger, f, U256::ZERO, Dgf::claimCreditCall {})
        .reverted_with::<Dgf::NoCredit>();
    // The forwarder still rejects the payment.
    let claim = forward(f, Dgf::claimCreditCall {}.abi_encode());
    d.l1.chain.send(user, forwarder, U256::ZERO, claim).reverted_with::<Dgf::BondTransferFailed>();
    assert_eq!(d.l1.chain.balance(f), wei(CHALLENGER_BOND + BOND));
}
