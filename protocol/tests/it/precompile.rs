//! The EXECUTE precompile's logic on a real block: the output root it
//! returns from (batch data, L1 headers and deposits, witness) equals the
//! sequencer's, for a batch in calldata and for one in blobs; a missing
//! witness node, a missing L1 block, a wrong parent, blobs other than the
//! committed ones or protocol parameters that do not decode make it fail.

use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B128, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolValue;
use rollup_protocol::{
    BatchRecord, BlockInputs, ExecuteDeposit, ExecuteError, L1BlockData, L1FeeScalars, L1Origin,
    OutputRootPreimage, RollupConfig, UserDeposit,
    batch::{
        BLOB_SIZE, BatchBlock, Compression, channel_to_blobs, encode_batch_data, encode_channel,
        split_channel,
    },
    blob_versioned_hash, build_witness, encode_execute_input, execute_block, execute_precompile,
    executeCall, genesis_header, l2_genesis_state, next_base_fee,
};

fn l1_header(n: u64) -> Header {
    Header {
        number: n,
        timestamp: 1_000 + 12 * n,
        base_fee_per_gas: Some(1_000_000_000 + n),
        withdrawals_root: Some(alloy_primitives::B256::ZERO),
        blob_gas_used: Some(0),
        // Blob base fees of 1 wei and up per blob gas (Prague exponential).
        excess_blob_gas: Some(3_000_000 * n),
        ..Default::default()
    }
}

fn origin(n: u64) -> L1Origin {
    let h = l1_header(n);
    L1Origin::from_l1_header(&h, h.hash_slow())
}

/// Both fee terms in play, so the L1 origin's base fee and blob base fee
/// both reach the balances (and the output root).
const SCALARS: L1FeeScalars =
    L1FeeScalars { base_fee_scalar: 1_500_000, blob_base_fee_scalar: 800_000 };

/// Deposit 0: mints 1 ETH to `to`.
fn funding(to: Address) -> UserDeposit {
    UserDeposit {
        from: to,
        to,
        index: 0,
        mint: U256::from(10u128.pow(18)),
        value: U256::ZERO,
        gas_limit: 100_000,
        data: Bytes::new(),
    }
}

struct Setup {
    input: executeCall,
    expected: alloy_primitives::B256,
    /// The batch's channel in blobs.
    blobs: Vec<Vec<u8>>,
    /// Gas of block 2's L1-attributes deposit.
    l1_attributes_gas: u64,
}

fn setup() -> Setup {
    let config = RollupConfig {
        genesis_l1_origin: origin(0),
        genesis_timestamp: origin(0).timestamp,
        l1_fee: SCALARS,
        ..Default::default()
    };
    let key = PrivateKeySigner::from_bytes(&keccak256([1u8])).unwrap();
    let mut state = l2_genesis_state(&config);
    let genesis = genesis_header(&config, &mut state, &config.genesis_l1_origin).unwrap();
    // Block 1: a deposit funds the key (origin advances to L1 block 1).
    let deposit = funding(key.address());
    let b1_inputs = BlockInputs {
        timestamp: origin(1).timestamp,
        l1_origin: origin(1),
        deposits: vec![deposit],
        transactions: vec![],
    };
    let b1 = execute_block(&config, &mut state, &genesis, &b1_inputs).unwrap();
    state.take_changes();
    let pre = state.clone();
    // Block 2: two transfers, origin advances to L1 block 2 (no deposits there).
    let base_fee = next_base_fee(&b1.header);
    // The deposit used nonce 0 of its sender.
    let txs: Vec<Bytes> = (1..3u64)
        .map(|nonce| {
            let tx = TxEip1559 {
                chain_id: config.l2_chain_id,
                nonce,
                gas_limit: 21_000,
                max_fee_per_gas: u128::from(base_fee) * 2,
                max_priority_fee_per_gas: 1,
                to: TxKind::Call(Address::repeat_byte(0x42 + nonce as u8)),
                value: U256::from(1_000 + nonce),
                access_list: Default::default(),
                input: Bytes::new(),
            };
            let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
            TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
        })
        .collect();
    let b2_inputs = BlockInputs {
        timestamp: origin(2).timestamp,
        l1_origin: origin(2),
        deposits: vec![],
        transactions: txs.clone(),
    };
    let b2 = execute_block(&config, &mut state, &b1.header, &b2_inputs).unwrap();
    // The L1-attributes deposit, then the two transfers.
    assert_eq!(b2.transactions.len(), 3, "{:?}", b2.skipped);
    assert!(
        matches!(&b2.transactions[0].tx, rollup_protocol::RollupTxEnvelope::Deposit(d) if d.is_l1_attributes())
    );
    let l1_attributes_gas = b2.transactions[0].receipt.gas_used;
    assert_eq!(b2.header.gas_used, l1_attributes_gas + 42_000);
    let expected = OutputRootPreimage {
        state_root: b2.header.state_root,
        withdrawals_root: b2.header.withdrawals_root.unwrap(),
        block_hash: b2.hash,
    }
    .output_root();

    // The batch carrying blocks 1 and 2, included in L1 block 5.
    let blocks = vec![
        BatchBlock {
            number: 1,
            timestamp: b1_inputs.timestamp,
            l1_origin_number: 1,
            l1_origin_hash: origin(1).hash,
            transactions: vec![],
        },
        BatchBlock {
            number: 2,
            timestamp: b2_inputs.timestamp,
            l1_origin_number: 2,
            l1_origin_hash: origin(2).hash,
            transactions: txs,
        },
    ];
    let channel = encode_channel(&blocks, Compression::Brotli);
    let data = encode_batch_data(&split_channel(B128::ZERO, &channel, 100_000));
    let witness = build_witness(&pre, &config, &b1.header, &b2_inputs).unwrap();
    let l1_block = |n: u64, deposits: Vec<ExecuteDeposit>| L1BlockData {
        number: n,
        header: alloy_rlp::encode(l1_header(n)).into(),
        deposits: deposits.abi_encode().into(),
    };
    let input = executeCall {
        blockNumber: 2,
        batch: BatchRecord {
            commitment: keccak256(&data),
            l1Block: 5,
            l2Start: 1,
            l2End: 2,
            isBlob: false,
        },
        parentHeader: alloy_rlp::encode(&b1.header).into(),
        batchData: data,
        l1Blocks: vec![l1_block(1, vec![]), l1_block(2, vec![])].abi_encode().into(),
        witness: witness.encode().into(),
        rollupConfig: config.protocol_params_abi().into(),
    };
    Setup { input, expected, blobs: channel_to_blobs(B128::ZERO, &channel), l1_attributes_gas }
}

/// `input` with its batch carried by `blobs` (the record's commitment over
/// their versioned hashes, `isBlob` set).
fn in_blobs(input: &executeCall, blobs: &[Vec<u8>]) -> executeCall {
    let hashes: Vec<u8> =
        blobs.iter().flat_map(|b| blob_versioned_hash(b).unwrap().to_vec()).collect();
    let mut call = input.clone();
    call.batch.commitment = keccak256(&hashes);
    call.batch.isBlob = true;
    call.batchData = blobs.concat().into();
    call
}

#[test]
fn execute_returns_the_sequencers_output_root() {
    let s = setup();
    let out = execute_precompile(&encode_execute_input(&s.input)).unwrap();
    assert_eq!(out.output_root, s.expected);
    assert_eq!(out.l2_gas_used, s.l1_attributes_gas + 42_000);
    assert_eq!(out.blobs, 0);
}

#[test]
fn a_batch_in_blobs_executes_to_the_same_root() {
    let s = setup();
    assert_eq!(s.blobs.len(), 1);
    let out = execute_precompile(&encode_execute_input(&in_blobs(&s.input, &s.blobs))).unwrap();
    assert_eq!(out.output_root, s.expected);
    assert_eq!(out.blobs, 1);

    // Blobs other than the committed ones: one byte changed, one blob too many, a torn blob,
    // an element that is not a field element (its top byte set: no commitment), and the
    // calldata form of the batch.
    let mut changed = s.blobs.clone();
    changed[0][40] ^= 1;
    let mut non_canonical = s.blobs.clone();
    non_canonical[0][0] = 0xff;
    let committed = s.blobs.concat();
    let cases: [(&str, Vec<u8>); 5] = [
        ("a changed byte", changed.concat()),
        ("an extra blob", [s.blobs[0].clone(), s.blobs[0].clone()].concat()),
        ("a torn blob", committed[..BLOB_SIZE - 1].to_vec()),
        ("a non-canonical field element", non_canonical.concat()),
        ("calldata against a blob record", s.input.batchData.to_vec()),
    ];
    for (what, data) in cases {
        let mut forged = in_blobs(&s.input, &s.blobs);
        forged.batchData = data.into();
        let result = execute_precompile(&encode_execute_input(&forged));
        assert!(matches!(result, Err(ExecuteError::WrongBlobs(_))), "{what}: {result:?}");
    }
}

/// The block is re-executed under the protocol parameters it is given: other
/// L1 fee scalars charge other fees, so the root differs; bytes that are not
/// `abi.encode(ProtocolParams)` are refused.
#[test]
fn execute_runs_under_the_given_protocol_parameters() {
    let s = setup();
    let mut other = s.input.clone();
    other.rollupConfig = RollupConfig { l1_fee: L1FeeScalars::CALLDATA, ..Default::default() }
        .protocol_params_abi()
        .into();
    let out = execute_precompile(&encode_execute_input(&other)).unwrap();
    assert_ne!(out.output_root, s.expected);
    let mut bad = s.input;
    bad.rollupConfig = Bytes::from_static(b"not protocol parameters");
    assert!(matches!(execute_precompile(&encode_execute_input(&bad)), Err(ExecuteError::Input(_))));
}

#[test]
fn execute_fails_rather_than_guessing() {
    let s = setup();
    // a witness with one node removed
    let mut witness = rollup_protocol::Witness::decode(&s.input.witness).unwrap();
    witness.nodes.pop();
    let mut bad = s.input.clone();
    bad.witness = witness.encode().into();
    assert!(matches!(
        execute_precompile(&encode_execute_input(&bad)),
        Err(ExecuteError::Execution(_))
    ));
    // the L1 origin of the block withheld
    let mut bad = s.input.clone();
    bad.l1Blocks = Vec::<L1BlockData>::new().abi_encode().into();
    assert_eq!(
        execute_precompile(&encode_execute_input(&bad)),
        Err(ExecuteError::MissingL1Block(2))
    );
    // a parent that is not block 1
    let mut bad = s.input;
    bad.blockNumber = 3;
    assert_eq!(execute_precompile(&encode_execute_input(&bad)), Err(ExecuteError::WrongParent));
    // garbage
    assert!(matches!(execute_precompile(&[1, 2, 3]), Err(ExecuteError::Input(_))));
}

/// `BLOCKHASH` of a block older than the parent: the witness carries the
/// ancestor headers that link it to the parent, and a forged hash or header
/// is refused instead of trusted.
#[test]
fn older_block_hashes_are_proven_by_ancestor_headers() {
    use alloy_primitives::B256;
    use rollup_protocol::{
        StfError, Witness, WitnessError, build_witness_with_ancestors, execute_stateless,
    };
    let config = RollupConfig {
        genesis_l1_origin: origin(0),
        genesis_timestamp: origin(0).timestamp,
        l1_fee: SCALARS,
        ..Default::default()
    };
    let key = PrivateKeySigner::from_bytes(&keccak256([2u8])).unwrap();
    // PUSH1 1 BLOCKHASH PUSH1 0 SSTORE STOP: stores the hash of block 1.
    let reader = Address::repeat_byte(0xbb);
    let mut state = l2_genesis_state(&config);
    state.set_account(
        reader,
        U256::ZERO,
        1,
        Some(Bytes::from_static(&[0x60, 0x01, 0x40, 0x60, 0x00, 0x55, 0x00])),
    );
    let genesis = genesis_header(&config, &mut state, &config.genesis_l1_origin).unwrap();
    state.set_block_hash(0, genesis.hash_slow());
    let mut headers = vec![genesis];
    let deposit = funding(key.address());
    for n in 1..=2u64 {
        let inputs = BlockInputs {
            timestamp: origin(n).timestamp,
            l1_origin: origin(n),
            deposits: if n == 1 { vec![deposit.clone()] } else { vec![] },
            transactions: vec![],
        };
        let block = execute_block(&config, &mut state, headers.last().unwrap(), &inputs).unwrap();
        state.take_changes();
        state.set_block_hash(n, block.hash);
        headers.push(block.header);
    }
    let parent = headers[2].clone();
    let tx = TxEip1559 {
        chain_id: config.l2_chain_id,
        nonce: 1,
        gas_limit: 100_000,
        max_fee_per_gas: u128::from(next_base_fee(&parent)) * 2,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(reader),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    let inputs = BlockInputs {
        timestamp: origin(3).timestamp,
        l1_origin: origin(3),
        deposits: vec![],
        transactions: vec![TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()],
    };
    let mut full = state.clone();
    let expected = execute_block(&config, &mut full, &parent, &inputs).unwrap();
    assert_eq!(full.storage(&reader, U256::ZERO), U256::from_be_bytes(headers[1].hash_slow().0));

    // Without the ancestor header the hash of block 1 cannot be proven.
    assert!(rollup_protocol::build_witness(&state, &config, &parent, &inputs).is_err());
    let witness =
        build_witness_with_ancestors(&state, &config, &parent, &inputs, &headers).unwrap();
    assert_eq!(witness.block_hashes, vec![(1, headers[1].hash_slow())]);
    assert_eq!(witness.ancestors.len(), 1);
    assert_eq!(execute_stateless(&config, &witness, &parent, &inputs).unwrap().hash, expected.hash);

    // A forged hash of block 1, or a forged ancestor header, is refused.
    let mut forged = witness.clone();
    forged.block_hashes[0].1 = B256::repeat_byte(0x66);
    assert!(matches!(
        execute_stateless(&config, &forged, &parent, &inputs),
        Err(StfError::Database(WitnessError::InvalidBlockHash(1)))
    ));
    let mut forged: Witness = witness;
    let mut header = headers[1].clone();
    header.gas_used += 1;
    forged.ancestors = vec![alloy_rlp::encode(&header).into()];
    forged.block_hashes = vec![(1, header.hash_slow())];
    assert!(execute_stateless(&config, &forged, &parent, &inputs).is_err());
}
