//! Deployment of the L1 contracts (BatchInbox, OutputOracle, Bridge) on a test chain.

use alloy_primitives::{Address, Bytes, U256};
use rollup_contracts::{BatchInbox, Bridge, OutputOracle};

use crate::evm::{Chain, ETHER, account, wei};

/// Challenge window used by the tests, in seconds.
pub(crate) const CHALLENGE_WINDOW: u64 = 3_600;
/// Proposal bond used by the tests.
pub(crate) const BOND: u128 = ETHER;

/// The deployed L1 system and its actors.
pub(crate) struct L1 {
    pub(crate) chain: Chain,
    pub(crate) deployer: Address,
    pub(crate) batcher: Address,
    pub(crate) proposer: Address,
    pub(crate) owner: Address,
    pub(crate) user: Address,
    pub(crate) inbox: Address,
    pub(crate) oracle: Address,
    pub(crate) bridge: Address,
}

impl L1 {
    /// Deploys BatchInbox(batcher), OutputOracle(proposer, inbox, 1h, 1 ETH, owner), Bridge(oracle).
    pub(crate) fn deploy() -> Self {
        let mut chain = Chain::new();
        let (deployer, batcher, proposer, owner, user) =
            (account(0xd0), account(0xba), account(0xb0), account(0x0e), account(0xee));
        for who in [deployer, batcher, proposer, owner, user] {
            chain.fund(who, wei(1_000 * ETHER));
        }
        let inbox =
            chain.deploy(deployer, &BatchInbox::BYTECODE, BatchInbox::constructorCall { batcher });
        let oracle = chain.deploy(
            deployer,
            &OutputOracle::BYTECODE,
            OutputOracle::constructorCall {
                proposer,
                batchInbox: inbox,
                challengeWindow: U256::from(CHALLENGE_WINDOW),
                bond: wei(BOND),
                owner,
            },
        );
        let bridge = chain.deploy(
            deployer,
            &Bridge::BYTECODE,
            Bridge::constructorCall { outputOracle: oracle },
        );
        Self { chain, deployer, batcher, proposer, owner, user, inbox, oracle, bridge }
    }

    /// Batches L2 blocks `nextL2Block()..=l2_end` in one batch.
    pub(crate) fn batch_until(&mut self, l2_end: u64) {
        let start = self.chain.view(self.inbox, BatchInbox::nextL2BlockCall {});
        let data = Bytes::from(format!("blocks {start}..={l2_end}").into_bytes());
        self.chain
            .call(
                self.batcher,
                self.inbox,
                U256::ZERO,
                BatchInbox::appendBatchCall { l2Start: start, l2End: l2_end, data },
            )
            .success();
    }

    /// Proposes `output_root` for `l2_block` with the bond; returns the output index.
    pub(crate) fn propose(&mut self, l2_block: u64, output_root: alloy_primitives::B256) -> U256 {
        let receipt = self.chain.call(
            self.proposer,
            self.oracle,
            wei(BOND),
            OutputOracle::proposeCall {
                l2BlockNumber: U256::from(l2_block),
                outputRoot: output_root,
            },
        );
        receipt.event::<OutputOracle::OutputProposed>(self.oracle).outputIndex
    }
}
