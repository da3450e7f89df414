//! The L1-attributes deposit and the `L1Block` / `GasPriceOracle`
//! predeploys through the STF: `L1Block` holds each block's L1 origin, the
//! sequence number resets with a new origin and counts up within one, the
//! deposit is transaction 0 with OP's source hash, only the depositor may
//! write `L1Block`, EIP-2935 keeps the parent hashes, and
//! `GasPriceOracle.getL1Fee` of a signed transaction is exactly what its
//! receipt was charged.

use crate::{keys, origin};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEnvelope, TxLegacy};
use alloy_eips::{
    eip2718::Encodable2718,
    eip2930::{AccessList, AccessListItem},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolValue};
use revm::{
    ExecuteEvm,
    context::TxEnv,
    context_interface::result::{ExecutionResult, Output},
};
use rollup_contracts::{GasPriceOracle, L1Block};
use rollup_protocol::{
    BlockEnvInput, BlockInputs, DEPOSITOR_ACCOUNT, ExecutedBlock, GAS_PRICE_ORACLE,
    HISTORY_STORAGE, L1_ATTRIBUTES_GAS_LIMIT, L1_BLOCK, L1Attributes, L1FeeScalars, L1Origin,
    MemoryState, RollupConfig, RollupTxEnvelope, UserDeposit, build_evm, calldata_gas,
    execute_block, genesis_header, l2_genesis_state, next_base_fee,
};

/// Both fee terms nonzero, so a mix-up of the two would show.
const SCALARS: L1FeeScalars =
    L1FeeScalars { base_fee_scalar: 1_368_000, blob_base_fee_scalar: 810_949 };

fn config() -> RollupConfig {
    RollupConfig {
        genesis_l1_origin: origin(0),
        genesis_timestamp: origin(0).timestamp,
        l1_fee: SCALARS,
        ..Default::default()
    }
}

/// A chain being built: the state at the head and the head header.
struct Chain {
    config: RollupConfig,
    state: MemoryState,
    head: alloy_consensus::Header,
}

impl Chain {
    fn new() -> Self {
        let config = config();
        let mut state = l2_genesis_state(&config);
        let head = genesis_header(&config, &mut state, &config.genesis_l1_origin).unwrap();
        state.take_changes();
        Self { config, state, head }
    }

    fn block(
        &mut self,
        l1_origin: L1Origin,
        deposits: Vec<UserDeposit>,
        txs: Vec<Bytes>,
    ) -> ExecutedBlock {
        let inputs = BlockInputs {
            timestamp: self.head.timestamp + 1,
            l1_origin,
            deposits,
            transactions: txs,
        };
        let block = execute_block(&self.config, &mut self.state, &self.head, &inputs).unwrap();
        self.state.take_changes();
        assert!(block.skipped.is_empty(), "{:?}", block.skipped);
        self.head = block.header.clone();
        block
    }

    /// `call` from `from` to `to` on the head state, not committed: the
    /// return data, or the revert data.
    fn call_from(&self, from: Address, to: Address, data: Bytes) -> Result<Bytes, Bytes> {
        let mut state = self.state.clone();
        let nonce = state.nonce(&from);
        let env = BlockEnvInput {
            number: self.head.number + 1,
            timestamp: self.head.timestamp + 1,
            beneficiary: Address::ZERO,
            gas_limit: 30_000_000,
            base_fee: 0,
            prevrandao: B256::ZERO,
        };
        let mut evm = build_evm(&mut state, self.config.l2_chain_id, &env);
        let tx = TxEnv {
            caller: from,
            kind: TxKind::Call(to),
            data,
            gas_limit: 10_000_000,
            gas_price: 0,
            nonce,
            chain_id: Some(self.config.l2_chain_id),
            ..Default::default()
        };
        match evm.transact(tx).unwrap().result {
            ExecutionResult::Success { output: Output::Call(out), .. } => Ok(out),
            ExecutionResult::Revert { output, .. } => Err(output),
            other => panic!("{other:?}"),
        }
    }

    fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let out = self.call_from(Address::repeat_byte(0xee), to, call.abi_encode().into()).unwrap();
        C::abi_decode_returns(&out).unwrap()
    }
}

/// 100 ETH to `to` (deposit `index`).
fn funding(to: Address, index: u64) -> UserDeposit {
    UserDeposit {
        from: to,
        to,
        index,
        mint: U256::from(100u128 * 10u128.pow(18)),
        value: U256::ZERO,
        gas_limit: 100_000,
        data: Bytes::new(),
    }
}

/// OP's L1-info source hash, from its definition with the ABI encoder.
fn op_source_hash(l1_hash: B256, seq: u64) -> B256 {
    let inner = keccak256((l1_hash, U256::from(seq)).abi_encode());
    keccak256((U256::from(1), inner).abi_encode())
}

/// Checks tx 0 of `block` is the L1-attributes deposit for `origin` and
/// `seq`, and that `L1Block` holds those values afterwards.
fn check_l1_attributes(chain: &Chain, block: &ExecutedBlock, l1: &L1Origin, seq: u64) {
    let first = &block.transactions[0];
    let RollupTxEnvelope::Deposit(tx) = &first.tx else { panic!("tx 0 is not a deposit") };
    assert!(tx.is_l1_attributes());
    assert_eq!(tx.source_hash, op_source_hash(l1.hash, seq));
    assert_eq!(tx.from, DEPOSITOR_ACCOUNT);
    assert_eq!(tx.to, TxKind::Call(L1_BLOCK));
    assert_eq!((tx.mint, tx.value, tx.gas_limit), (0, U256::ZERO, L1_ATTRIBUTES_GAS_LIMIT));
    assert!(!tx.is_system_transaction);
    assert_eq!(&tx.input[..4], &[0x44, 0x0a, 0x5e, 0x20]);
    assert_eq!(tx.input.len(), 164);
    let attrs = L1Attributes::decode(&tx.input).unwrap();
    assert_eq!(attrs, L1Attributes::new(l1, seq, SCALARS));
    // The contract's writes are OP's layout, which the genesis and the STF
    // (sequence number) read.
    for (slot, value) in attrs.storage() {
        assert_eq!(chain.state.storage(&L1_BLOCK, slot), value, "slot {slot}");
    }
    assert!(first.receipt.status, "the L1-attributes deposit succeeds");
    assert_eq!(first.sender, DEPOSITOR_ACCOUNT);
    // The depositor's nonce counts the blocks before this one.
    assert_eq!(first.receipt.deposit_nonce, Some(block.header.number - 1));
    assert!(first.receipt.gas_used > 21_000 && first.receipt.gas_used < L1_ATTRIBUTES_GAS_LIMIT);
    assert_eq!(first.receipt.cumulative_gas_used, first.receipt.gas_used);
    assert_eq!(
        block.header.gas_used,
        block.transactions.last().unwrap().receipt.cumulative_gas_used,
        "its gas counts toward the block's"
    );

    assert_eq!(chain.view(L1_BLOCK, L1Block::numberCall {}), l1.number);
    assert_eq!(chain.view(L1_BLOCK, L1Block::timestampCall {}), l1.timestamp);
    assert_eq!(chain.view(L1_BLOCK, L1Block::basefeeCall {}), U256::from(l1.base_fee));
    assert_eq!(chain.view(L1_BLOCK, L1Block::blobBaseFeeCall {}), U256::from(l1.blob_base_fee));
    assert_eq!(chain.view(L1_BLOCK, L1Block::hashCall {}), l1.hash);
    assert_eq!(chain.view(L1_BLOCK, L1Block::sequenceNumberCall {}), seq);
    assert_eq!(chain.view(L1_BLOCK, L1Block::baseFeeScalarCall {}), 1_368_000);
    assert_eq!(chain.view(L1_BLOCK, L1Block::blobBaseFeeScalarCall {}), 810_949);
    assert_eq!(chain.view(L1_BLOCK, L1Block::batcherHashCall {}), B256::ZERO);
    assert_eq!(chain.view(L1_BLOCK, L1Block::DEPOSITOR_ACCOUNTCall {}), DEPOSITOR_ACCOUNT);
}

#[test]
fn l1_block_holds_each_blocks_origin_and_the_sequence_number_resets_per_origin() {
    let mut chain = Chain::new();
    // Genesis: the genesis L1 origin, sequence number 0.
    assert_eq!(chain.view(L1_BLOCK, L1Block::numberCall {}), 0);
    assert_eq!(chain.view(L1_BLOCK, L1Block::hashCall {}), origin(0).hash);
    assert_eq!(chain.view(L1_BLOCK, L1Block::basefeeCall {}), U256::from(origin(0).base_fee));
    assert_eq!(chain.view(L1_BLOCK, L1Block::sequenceNumberCall {}), 0);
    assert_eq!(chain.view(L1_BLOCK, L1Block::baseFeeScalarCall {}), 1_368_000);

    let key = keys()[0].address();
    let steps: [(u64, u64); 8] = [(0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (3, 0), (3, 1), (4, 0)];
    let mut inputs = Vec::new();
    let mut hashes = vec![chain.head.hash_slow()];
    for (origin_number, seq) in steps {
        let l1 = origin(origin_number);
        // A user deposit with the first block of each new origin.
        let deposits = if seq == 0 { vec![funding(key, inputs.len() as u64)] } else { vec![] };
        let parent_hash = chain.head.hash_slow();
        let block = chain.block(l1, deposits.clone(), vec![]);
        inputs.push((l1, deposits.clone()));
        hashes.push(block.hash);
        check_l1_attributes(&chain, &block, &l1, seq);
        assert_eq!(block.transactions.len(), 1 + deposits.len());
        if let Some(deposit) = deposits.first() {
            // The user deposit follows it, with its own (domain 0) source hash.
            let RollupTxEnvelope::Deposit(tx) = &block.transactions[1].tx else { panic!() };
            assert!(!tx.is_l1_attributes());
            assert_eq!(tx.source_hash, deposit.source_hash());
        }
        // EIP-2935: the parent's hash in the history contract's ring buffer.
        let number = block.header.number;
        assert_eq!(
            chain.state.storage(&HISTORY_STORAGE, U256::from((number - 1) % 8191)),
            U256::from_be_bytes(parent_hash.0)
        );
        assert!(block.user_transactions().is_empty(), "batches never carry it");
    }
    // The history contract serves them (`get`: 32-byte block number in, hash out).
    for n in [0u64, 2, 7] {
        let got = chain
            .call_from(
                Address::repeat_byte(0xee),
                HISTORY_STORAGE,
                U256::from(n).to_be_bytes::<32>().to_vec().into(),
            )
            .unwrap();
        assert_eq!(B256::from_slice(&got), hashes[n as usize], "block {n}");
    }
    // Deterministic: the same inputs give the same chain.
    let mut replay = Chain::new();
    for (l1, deposits) in inputs {
        replay.block(l1, deposits, vec![]);
    }
    assert_eq!(replay.head, chain.head);
}

#[test]
fn only_the_depositor_may_set_l1_block_values() {
    let mut chain = Chain::new();
    let key = &keys()[1];
    chain.block(origin(1), vec![funding(key.address(), 0)], vec![]);
    let forged = L1Attributes::new(&origin(7), 5, SCALARS).calldata();
    // As a call: reverts with NotDepositor().
    let revert = chain.call_from(key.address(), L1_BLOCK, forged.clone()).unwrap_err();
    assert_eq!(revert.as_ref(), &[0x3c, 0xc5, 0x0b, 0x45]);
    // The depositor itself may (as the STF's deposit does).
    assert!(chain.call_from(DEPOSITOR_ACCOUNT, L1_BLOCK, forged.clone()).is_ok());
    // As a transaction: included, reverted, nothing written.
    let tx = sign(
        key,
        TxEip1559 {
            chain_id: 901,
            nonce: 1,
            gas_limit: 200_000,
            max_fee_per_gas: u128::from(next_base_fee(&chain.head)) * 2,
            to: TxKind::Call(L1_BLOCK),
            input: forged,
            ..Default::default()
        },
    );
    let block = chain.block(origin(1), vec![], vec![tx]);
    assert_eq!(block.transactions.len(), 2);
    assert!(!block.transactions[1].receipt.status);
    check_l1_attributes(&chain, &block, &origin(1), 1);
}

fn sign<T: SignableTransaction<alloy_primitives::Signature>>(key: &PrivateKeySigner, tx: T) -> Bytes
where
    TxEnvelope: From<alloy_consensus::Signed<T>>,
{
    let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

/// The EIP-2718 bytes a client signs over (the unsigned transaction, as
/// viem's `serializeTransaction` without a signature gives it).
fn unsigned<T: SignableTransaction<alloy_primitives::Signature>>(tx: &T) -> Bytes {
    let mut out = Vec::new();
    tx.encode_for_signing(&mut out);
    out.into()
}

#[test]
fn gas_price_oracle_charges_exactly_what_the_receipt_says() {
    let mut chain = Chain::new();
    let key = &keys()[2];
    chain.block(origin(1), vec![funding(key.address(), 0)], vec![]);
    let max_fee = u128::from(next_base_fee(&chain.head)) * 2;
    let mut data = vec![0u8; 1_000];
    for (i, b) in data.iter_mut().enumerate() {
        *b = if i % 3 == 0 { 0 } else { (i % 251) as u8 };
    }
    let to = TxKind::Call(Address::repeat_byte(0x77));
    // Contract creation: returns empty code.
    let initcode = Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xf3]);
    let legacy = TxLegacy {
        chain_id: Some(901),
        nonce: 1,
        gas_price: max_fee,
        gas_limit: 21_000,
        to,
        value: U256::from(5),
        input: Bytes::new(),
    };
    let access = TxEip2930 {
        chain_id: 901,
        nonce: 2,
        gas_price: max_fee,
        gas_limit: 100_000,
        to,
        value: U256::ZERO,
        access_list: AccessList(vec![AccessListItem {
            address: Address::repeat_byte(0x77),
            storage_keys: vec![B256::ZERO, B256::repeat_byte(1)],
        }]),
        input: Bytes::from_static(&[0, 0, 1, 2]),
    };
    let dynamic = |nonce: u64, to: TxKind, input: Bytes| TxEip1559 {
        chain_id: 901,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: 7,
        to,
        value: U256::from(1),
        access_list: Default::default(),
        input,
    };
    let transfer = dynamic(3, to, Bytes::new());
    let big = dynamic(4, to, data.into());
    let create = dynamic(5, TxKind::Create, initcode);
    let signed = vec![
        sign(key, legacy.clone()),
        sign(key, access.clone()),
        sign(key, transfer.clone()),
        sign(key, big.clone()),
        sign(key, create.clone()),
    ];
    let unsigned_txs = [
        unsigned(&legacy),
        unsigned(&access),
        unsigned(&transfer),
        unsigned(&big),
        unsigned(&create),
    ];
    let l1 = origin(2);
    let block = chain.block(l1, vec![], signed.clone());
    assert_eq!(block.transactions.len(), 1 + signed.len());

    let gpo = |data: &Bytes| {
        (
            chain.view(GAS_PRICE_ORACLE, GasPriceOracle::getL1FeeCall { _data: data.clone() }),
            chain.view(GAS_PRICE_ORACLE, GasPriceOracle::getL1GasUsedCall { _data: data.clone() }),
        )
    };
    let scaled = U256::from(16 * 1_368_000u64) * U256::from(l1.base_fee)
        + U256::from(810_949u64) * U256::from(l1.blob_base_fee);
    let fee_of = |gas: u64| U256::from(gas) * scaled / U256::from(16_000_000u64);
    for (i, (raw, unsigned)) in signed.iter().zip(&unsigned_txs).enumerate() {
        let receipt = &block.transactions[i + 1].receipt;
        assert!(receipt.status, "tx {i}");
        let charged = receipt.l1_fee.unwrap();
        assert!(charged > 0);
        // Signed: exactly the receipt.
        let (fee, gas) = gpo(raw);
        assert_eq!(fee, U256::from(charged), "tx {i}: getL1Fee(signed) is the charge");
        assert_eq!(gas, U256::from(receipt.l1_gas_used.unwrap()), "tx {i}");
        assert_eq!(gas, U256::from(calldata_gas(raw)));
        // Unsigned (what viem's estimateL1Fee passes): OP's 68 * 16 gas of padding.
        let (estimate, estimate_gas) = gpo(unsigned);
        assert_eq!(estimate_gas, U256::from(calldata_gas(unsigned) + 68 * 16), "tx {i}");
        assert_eq!(estimate, fee_of(calldata_gas(unsigned) + 68 * 16), "tx {i}");
        // Never below the charge; above it by the fee of 1,088 gas minus the signature's.
        let signature_gas = calldata_gas(raw) - calldata_gas(unsigned);
        assert!(signature_gas <= 68 * 16, "tx {i}: {signature_gas}");
        assert!(estimate >= fee, "tx {i}");
        // 16 gas typically (64 for legacy EIP-155), 12 more per zero byte of r or s.
        let typical = if i == 0 { 64 } else { 16 };
        assert!(68 * 16 - signature_gas <= typical + 128, "tx {i}: {signature_gas}");
    }
    // The fee parameters, OP's getters and flags.
    assert_eq!(
        chain.view(GAS_PRICE_ORACLE, GasPriceOracle::l1BaseFeeCall {}),
        U256::from(l1.base_fee)
    );
    assert_eq!(
        chain.view(GAS_PRICE_ORACLE, GasPriceOracle::blobBaseFeeCall {}),
        U256::from(l1.blob_base_fee)
    );
    assert_eq!(chain.view(GAS_PRICE_ORACLE, GasPriceOracle::baseFeeScalarCall {}), 1_368_000);
    assert_eq!(chain.view(GAS_PRICE_ORACLE, GasPriceOracle::blobBaseFeeScalarCall {}), 810_949);
    assert_eq!(chain.view(GAS_PRICE_ORACLE, GasPriceOracle::decimalsCall {}), U256::from(6));
    assert!(chain.view(GAS_PRICE_ORACLE, GasPriceOracle::isEcotoneCall {}));
    assert!(!chain.view(GAS_PRICE_ORACLE, GasPriceOracle::isFjordCall {}));
    assert!(!chain.view(GAS_PRICE_ORACLE, GasPriceOracle::isIsthmusCall {}));
    assert_eq!(
        chain.view(
            GAS_PRICE_ORACLE,
            GasPriceOracle::getOperatorFeeCall { _gasUsed: U256::from(21_000) }
        ),
        U256::ZERO
    );
    // Not a signed transaction: empty, garbage, a truncated one, a signed
    // one with a trailing byte, a pre-EIP-155 unsigned legacy one.
    let pre155 = unsigned(&TxLegacy { chain_id: None, ..legacy });
    let mut trailing = signed[2].to_vec();
    trailing.push(1);
    for data in [
        Bytes::new(),
        Bytes::from_static(&[0x02, 0xff, 0x00]),
        signed[3].slice(..signed[3].len() - 1),
        trailing.into(),
        pre155,
    ] {
        let (fee, gas) = gpo(&data);
        assert_eq!(gas, U256::from(calldata_gas(&data) + 68 * 16), "{data}");
        assert_eq!(fee, fee_of(calldata_gas(&data) + 68 * 16));
    }
}
