//! A tiny in-memory chain on revm for executing the real contract bytecode.

use alloy_primitives::{Address, B256, Bytes, Log, U256, keccak256};
use alloy_sol_types::{SolCall, SolConstructor, SolError, SolEvent, SolValue};
use revm::{
    Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
    context::{
        TxEnv,
        result::{ExecutionResult, Output},
    },
    context_interface::block::BlobExcessGasAndPrice,
    database::{CacheDB, EmptyDB},
    database_interface::DatabaseRef,
    handler::{MainnetContext, MainnetEvm},
    primitives::{TxKind, eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN, hardfork::SpecId},
    state::{AccountInfo, Bytecode},
};

/// 1 ether in wei.
pub(crate) const ETHER: u128 = 1_000_000_000_000_000_000;

/// Wei as a `U256`.
pub(crate) fn wei(amount: u128) -> U256 {
    U256::from(amount)
}

/// A deterministic test account.
pub(crate) fn account(n: u8) -> Address {
    Address::repeat_byte(n)
}

type Db = CacheDB<EmptyDB>;

/// A single-node chain: every transaction is its own committed "block" unless the test moves
/// the block number / timestamp itself.
pub(crate) struct Chain {
    evm: MainnetEvm<MainnetContext<Db>>,
}

/// Outcome of a transaction.
#[derive(Debug)]
pub(crate) struct Receipt {
    pub(crate) result: ExecutionResult,
}

impl Receipt {
    /// Logs of a successful transaction (panics otherwise).
    pub(crate) fn logs(&self) -> &[Log] {
        match &self.result {
            ExecutionResult::Success { logs, .. } => logs,
            other => panic!("transaction did not succeed: {other:?}"),
        }
    }

    /// Decodes the single event of type `E` emitted by `emitter`.
    pub(crate) fn event<E: SolEvent>(&self, emitter: Address) -> E {
        let mut found: Vec<E> = self
            .logs()
            .iter()
            .filter(|log| {
                log.address == emitter && log.topics().first() == Some(&E::SIGNATURE_HASH)
            })
            .map(|log| E::decode_log(log).expect("event decodes").data)
            .collect();
        assert_eq!(found.len(), 1, "expected exactly one {} event", E::SIGNATURE);
        found.pop().unwrap()
    }

    /// Decodes the return value of a successful call `C` (panics otherwise).
    pub(crate) fn returns<C: SolCall>(&self) -> C::Return {
        match &self.result {
            ExecutionResult::Success { output: Output::Call(bytes), .. } => {
                C::abi_decode_returns(bytes).expect("return value decodes")
            }
            other => panic!("{} did not succeed: {other:?}", C::SIGNATURE),
        }
    }

    /// Gas the transaction used (what its sender pays for): intrinsic gas included, refunds
    /// subtracted.
    pub(crate) fn gas_used(&self) -> u64 {
        self.result.tx_gas_used()
    }

    /// Asserts the transaction succeeded.
    pub(crate) fn success(&self) -> &Self {
        assert!(self.result.is_success(), "transaction failed: {:?}", self.result);
        self
    }

    /// Asserts the transaction reverted with the custom error `E` and returns it decoded.
    pub(crate) fn reverted_with<E: SolError>(&self) -> E {
        match &self.result {
            ExecutionResult::Revert { output, .. } => {
                assert!(
                    output.starts_with(&E::SELECTOR),
                    "expected revert {}, got output {output}",
                    E::SIGNATURE
                );
                E::abi_decode(output).expect("custom error decodes")
            }
            other => panic!("expected revert {}, got {other:?}", E::SIGNATURE),
        }
    }
}

impl Chain {
    /// A fresh Cancun chain at block 1, timestamp 1_000_000.
    pub(crate) fn new() -> Self {
        let mut evm = Context::mainnet()
            .modify_cfg_chained(|cfg| cfg.set_spec_and_mainnet_gas_params(SpecId::CANCUN))
            .modify_block_chained(|block| {
                block.number = U256::from(1);
                block.timestamp = U256::from(1_000_000);
                block.gas_limit = 30_000_000;
                block.basefee = 0;
                // Blob gas price 1 (no excess blob gas), Cancun's update fraction.
                block.blob_excess_gas_and_price =
                    Some(BlobExcessGasAndPrice::new(0, BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN));
            })
            .with_db(CacheDB::new(EmptyDB::default()))
            .build_mainnet();
        evm.ctx.cfg.chain_id = 1;
        Self { evm }
    }

    fn db(&self) -> &Db {
        &self.evm.ctx.journaled_state.database
    }

    /// Sets the balance of `who`.
    pub(crate) fn fund(&mut self, who: Address, amount: U256) {
        let mut info = self.db().basic_ref(who).unwrap().unwrap_or_default();
        info.balance = amount;
        self.evm.ctx.journaled_state.database.insert_account_info(who, info);
    }

    /// Places `runtime` code at `at` without running any constructor (like a genesis alloc).
    pub(crate) fn install_code(&mut self, at: Address, runtime: Bytes) {
        let info = AccountInfo::from_bytecode(Bytecode::new_raw(runtime));
        self.evm.ctx.journaled_state.database.insert_account_info(at, info);
    }

    /// Sets the raw storage word `slot` of `at` (the account must exist, e.g. via
    /// [`Self::install_code`]).
    pub(crate) fn set_storage(&mut self, at: Address, slot: U256, value: U256) {
        self.evm
            .ctx
            .journaled_state
            .database
            .insert_account_storage(at, slot, value)
            .expect("in-memory storage write");
    }

    /// Makes `BLOCKHASH(number)` return `hash` (within the last 256 blocks).
    pub(crate) fn set_block_hash(&mut self, number: u64, hash: B256) {
        self.evm.ctx.journaled_state.database.cache.block_hashes.insert(U256::from(number), hash);
    }

    /// Current block timestamp.
    pub(crate) fn timestamp(&self) -> u64 {
        self.evm.ctx.block.timestamp.to()
    }

    /// Current block number.
    pub(crate) fn block_number(&self) -> u64 {
        self.evm.ctx.block.number.to()
    }

    /// Moves to a new block `secs` seconds later.
    pub(crate) fn advance(&mut self, secs: u64) {
        self.evm.ctx.block.number += U256::from(1);
        self.evm.ctx.block.timestamp += U256::from(secs);
    }

    /// Balance of `who`.
    pub(crate) fn balance(&self, who: Address) -> U256 {
        self.db().basic_ref(who).unwrap().map(|i| i.balance).unwrap_or_default()
    }

    /// Code of `who` (empty if none).
    pub(crate) fn code(&self, who: Address) -> Bytes {
        self.db()
            .basic_ref(who)
            .unwrap()
            .and_then(|i| i.code)
            .map(|c| c.original_bytes())
            .unwrap_or_default()
    }

    /// Nonce of `who`.
    pub(crate) fn nonce(&self, who: Address) -> u64 {
        self.db().basic_ref(who).unwrap().map(|i| i.nonce).unwrap_or_default()
    }

    /// Raw storage word.
    pub(crate) fn storage(&self, at: Address, slot: U256) -> U256 {
        self.db().storage_ref(at, slot).unwrap()
    }

    fn tx(&self, from: Address, kind: TxKind, value: U256, data: Bytes, gas_limit: u64) -> TxEnv {
        TxEnv::builder()
            .caller(from)
            .kind(kind)
            .value(value)
            .data(data)
            .nonce(self.nonce(from))
            .gas_limit(gas_limit)
            .gas_price(0)
            .chain_id(Some(1))
            .build()
            .expect("valid tx")
    }

    /// Executes and commits a transaction with the given gas limit.
    pub(crate) fn send_with_gas(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        data: impl Into<Bytes>,
        gas_limit: u64,
    ) -> Receipt {
        let tx = self.tx(from, TxKind::Call(to), value, data.into(), gas_limit);
        let result = self.evm.transact_commit(tx).expect("tx is valid");
        Receipt { result }
    }

    /// Executes and commits a transaction (15M gas).
    pub(crate) fn send(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        data: impl Into<Bytes>,
    ) -> Receipt {
        self.send_with_gas(from, to, value, data, 15_000_000)
    }

    /// Executes and commits an ABI-encoded call.
    pub(crate) fn call<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        call: C,
    ) -> Receipt {
        self.send(from, to, value, call.abi_encode())
    }

    /// Executes and commits an ABI-encoded call in an EIP-4844 (type 3) transaction carrying
    /// blobs with the versioned hashes `blob_hashes` (each must start with `0x01`), which the
    /// call sees through `BLOBHASH`.
    pub(crate) fn call_with_blobs<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: C,
        blob_hashes: Vec<B256>,
    ) -> Receipt {
        let tx = TxEnv::builder()
            .tx_type(Some(3))
            .caller(from)
            .to(to)
            .data(call.abi_encode().into())
            .nonce(self.nonce(from))
            .gas_limit(15_000_000)
            .max_fee_per_gas(0)
            .gas_priority_fee(Some(0))
            .blob_hashes(blob_hashes)
            .max_fee_per_blob_gas(1)
            .chain_id(Some(1))
            .build()
            .expect("valid blob tx");
        let result = self.evm.transact_commit(tx).expect("blob tx is valid");
        Receipt { result }
    }

    /// Executes a read-only call without committing and decodes its return value.
    pub(crate) fn view<C: SolCall>(&mut self, to: Address, call: C) -> C::Return {
        let tx = self.tx(
            Address::ZERO,
            TxKind::Call(to),
            U256::ZERO,
            call.abi_encode().into(),
            15_000_000,
        );
        let out = self.evm.transact(tx).expect("tx is valid").result;
        match out {
            ExecutionResult::Success { output: Output::Call(bytes), .. } => {
                C::abi_decode_returns(&bytes).expect("return value decodes")
            }
            other => panic!("view {} failed: {other:?}", C::SIGNATURE),
        }
    }

    /// Executes a read-only call without committing and returns the raw result.
    pub(crate) fn try_view<C: SolCall>(&mut self, to: Address, call: C) -> Receipt {
        let tx = self.tx(
            Address::ZERO,
            TxKind::Call(to),
            U256::ZERO,
            call.abi_encode().into(),
            15_000_000,
        );
        Receipt { result: self.evm.transact(tx).expect("tx is valid").result }
    }

    /// Deploys `creation_code ++ abi.encode(constructor args)` from `from`.
    pub(crate) fn deploy<C: SolConstructor>(
        &mut self,
        from: Address,
        creation_code: &Bytes,
        args: C,
    ) -> Address {
        match self.try_deploy(from, creation_code, args).result {
            ExecutionResult::Success { output: Output::Create(_, Some(addr)), .. } => addr,
            other => panic!("deployment failed: {other:?}"),
        }
    }

    /// Like [`Self::deploy`], but returns the outcome instead of panicking on failure.
    pub(crate) fn try_deploy<C: SolConstructor>(
        &mut self,
        from: Address,
        creation_code: &Bytes,
        args: C,
    ) -> Receipt {
        let mut code = creation_code.to_vec();
        code.extend(args.abi_encode());
        let tx = self.tx(from, TxKind::Create, U256::ZERO, code.into(), 15_000_000);
        Receipt { result: self.evm.transact_commit(tx).expect("tx is valid") }
    }
}

/// Runtime code of a forwarder contract: calls `address(calldata[0..20])` with the rest of the
/// calldata and all of `msg.value`, then returns / reverts with the callee's return data. Used to
/// make calls whose `msg.sender` is a contract (`!= tx.origin`).
pub(crate) fn forwarder_runtime() -> Bytes {
    Bytes::from_static(&[
        0x5f, // PUSH0                      retSize = 0
        0x5f, // PUSH0                      retOffset = 0
        0x60, 0x14, // PUSH1 20
        0x36, // CALLDATASIZE
        0x03, // SUB                        len = size - 20
        0x80, // DUP1                       argsSize = len
        0x60, 0x14, // PUSH1 20
        0x5f, // PUSH0
        0x37, // CALLDATACOPY               mem[0..len] = calldata[20..]
        0x5f, // PUSH0                      argsOffset = 0
        0x34, // CALLVALUE                  value
        0x5f, // PUSH0
        0x35, // CALLDATALOAD
        0x60, 0x60, // PUSH1 96
        0x1c, // SHR                        target = calldata[0..20]
        0x5a, // GAS
        0xf1, // CALL
        0x3d, // RETURNDATASIZE
        0x5f, // PUSH0
        0x5f, // PUSH0
        0x3e, // RETURNDATACOPY             mem[0..rds] = returndata
        0x3d, // RETURNDATASIZE
        0x5f, // PUSH0
        0x82, // DUP3                       success
        0x60, 0x1f, // PUSH1 0x1f
        0x57, // JUMPI
        0xfd, // REVERT(0, rds)
        0x5b, // JUMPDEST (0x1f)
        0xf3, // RETURN(0, rds)
    ])
}

/// Runtime code that always reverts with empty data.
pub(crate) fn reverter_runtime() -> Bytes {
    Bytes::from_static(&[0x5f, 0x5f, 0xfd])
}

/// Calldata for [`forwarder_runtime`].
pub(crate) fn forward(target: Address, data: impl AsRef<[u8]>) -> Bytes {
    [target.as_slice(), data.as_ref()].concat().into()
}

/// `keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))`, the withdrawal hash.
pub(crate) fn withdrawal_hash(
    nonce: U256,
    sender: Address,
    target: Address,
    value: U256,
    gas_limit: U256,
    data: &Bytes,
) -> B256 {
    keccak256((nonce, sender, target, value, gas_limit, data.clone()).abi_encode_params())
}

/// The version-0 output root.
pub(crate) fn output_root(state_root: B256, withdrawals_root: B256, block_hash: B256) -> B256 {
    keccak256((B256::ZERO, state_root, withdrawals_root, block_hash).abi_encode_params())
}
