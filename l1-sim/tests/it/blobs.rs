//! EIP-4844 on the L1: blob transactions with KZG-checked sidecars, the blob
//! fee market (EIP-7691 schedule, EIP-7918 reserve) and the beacon API's
//! blob sidecars.

use super::{call, key, start};
use alloy::{
    consensus::{
        SignableTransaction, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar, TxEnvelope,
    },
    eips::{
        Encodable2718,
        eip4844::{Blob, BlobTransactionSidecar, Bytes48, kzg_to_versioned_hash},
        eip7594::BlobTransactionSidecarVariant,
    },
    network::TxSignerSync,
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256, Bytes, U256, address, keccak256};
use serde_json::{Value, json};
use std::{sync::OnceLock, time::Duration};

const GAS_PER_BLOB: u64 = 131_072;
const UPDATE_FRACTION: u128 = 5_007_716;

/// A blob of "real data": text packed 31 bytes per field element (the top
/// byte of every 32-byte element stays 0, so each element is canonical).
fn text_blob(seed: u8) -> Blob {
    let text = format!(
        "blob {seed}: the rollup posts its batches here; derivation reads them back from the beacon API. "
    );
    let mut data = text.as_bytes().iter().cycle().copied().map(|b| b.wrapping_add(seed));
    let mut blob = [0u8; 131_072];
    for element in blob.chunks_mut(32) {
        for byte in &mut element[1..] {
            *byte = data.next().unwrap();
        }
    }
    Blob::from(blob)
}

/// Commitments and proofs computed with c-kzg and the Ethereum trusted setup.
pub(super) fn sidecar(blobs: &[Blob]) -> BlobTransactionSidecar {
    let settings = c_kzg::ethereum_kzg_settings(0);
    let (mut commitments, mut proofs) = (Vec::new(), Vec::new());
    for blob in blobs {
        let ckzg = c_kzg::Blob::from_bytes(blob.as_slice()).unwrap();
        let commitment = settings.blob_to_kzg_commitment(&ckzg).unwrap().to_bytes();
        let proof = settings.compute_blob_kzg_proof(&ckzg, &commitment).unwrap().to_bytes();
        commitments.push(Bytes48::from_slice(commitment.as_slice()));
        proofs.push(Bytes48::from_slice(proof.as_slice()));
    }
    BlobTransactionSidecar::new(blobs.to_vec(), commitments, proofs)
}

pub(super) fn versioned_hash(commitment: &Bytes48) -> B256 {
    kzg_to_versioned_hash(commitment.as_slice())
}

fn blob_tx(nonce: u64, to: Address, hashes: Vec<B256>) -> TxEip4844 {
    TxEip4844 {
        chain_id: 900,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value: U256::ZERO,
        access_list: Default::default(),
        blob_versioned_hashes: hashes,
        max_fee_per_blob_gas: 1_000_000,
        input: Bytes::new(),
    }
}

/// The network form `0x03 || rlp([tx_payload_body, blobs, commitments, proofs])`
/// and the transaction hash (of the canonical form).
fn signed_network(
    tx: TxEip4844,
    sidecar: BlobTransactionSidecar,
    signer: &PrivateKeySigner,
) -> (Bytes, B256) {
    let mut variant =
        TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar::from_tx_and_sidecar(
            tx,
            BlobTransactionSidecarVariant::Eip4844(sidecar),
        ));
    let sig = signer.sign_transaction_sync(&mut variant).unwrap();
    let envelope = TxEnvelope::Eip4844(variant.into_signed(sig));
    (envelope.encoded_2718().into(), *envelope.tx_hash())
}

/// The canonical form (no sidecar).
fn signed_canonical(tx: TxEip4844, signer: &PrivateKeySigner) -> Bytes {
    let mut variant = TxEip4844Variant::<BlobTransactionSidecarVariant>::TxEip4844(tx);
    let sig = signer.sign_transaction_sync(&mut variant).unwrap();
    TxEnvelope::Eip4844(variant.into_signed(sig)).encoded_2718().into()
}

fn quantity(v: &Value) -> u128 {
    u128::from_str_radix(
        v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}")).trim_start_matches("0x"),
        16,
    )
    .unwrap()
}

/// EIP-4844 `fake_exponential(1, excess, 5007716)`, written out again.
fn blob_fee(excess: u128) -> u128 {
    let (mut i, mut output, mut accum) = (1u128, 0u128, UPDATE_FRACTION);
    while accum > 0 {
        output += accum;
        accum = accum * excess / (UPDATE_FRACTION * i);
        i += 1;
    }
    output / UPDATE_FRACTION
}

async fn beacon(url: &str, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{url}{path}")).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn send(url: &str, raw: &Bytes) -> Value {
    call(url, "eth_sendRawTransaction", json!([raw])).await
}

fn error_message(v: &Value) -> String {
    v["error"]["message"].as_str().unwrap_or_else(|| panic!("expected an error: {v}")).to_string()
}

async fn latest(url: &str) -> Value {
    call(url, "eth_getBlockByNumber", json!(["latest", false])).await["result"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn blob_transaction_is_mined_served_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), Some(Duration::from_secs(3600))).await;
    let url = l1.rpc_url();
    // BLOBHASH(0) -> slot 0, BLOBHASH(1) -> slot 1, BLOBBASEFEE -> slot 2:
    // PUSH1 0 BLOBHASH PUSH1 0 SSTORE PUSH1 1 BLOBHASH PUSH1 1 SSTORE BLOBBASEFEE PUSH1 2 SSTORE STOP
    let recorder = address!("00000000000000000000000000000000000000b1");
    let code = "0x6000496000556001496001554a60025500";
    call(&url, "anvil_setCode", json!([recorder, code])).await;
    // Returns BLOBHASH(0): PUSH1 0 BLOBHASH PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let reader = address!("00000000000000000000000000000000000000b2");
    call(&url, "anvil_setCode", json!([reader, "0x60004960005260206000f3"])).await;

    let blobs = vec![text_blob(1), text_blob(2)];
    let sidecar = sidecar(&blobs);
    let hashes: Vec<B256> = sidecar.commitments.iter().map(versioned_hash).collect();
    let signer = key(1);
    let (raw, hash) =
        signed_network(blob_tx(0, recorder, hashes.clone()), sidecar.clone(), &signer);
    assert!(raw.len() > 2 * 131_072, "the network form carries the blobs");
    let sent = send(&url, &raw).await;
    assert_eq!(sent["result"], json!(hash), "{sent}");
    let pending = call(&url, "eth_getTransactionByHash", json!([hash])).await["result"].clone();
    assert_eq!(pending["type"], "0x3");
    assert_eq!(pending["blobVersionedHashes"], json!(hashes));
    let fee_before = quantity(&call(&url, "eth_blobBaseFee", json!([])).await["result"]);
    assert_eq!(fee_before, 1, "no excess blob gas yet");
    let balance_before =
        quantity(&call(&url, "eth_getBalance", json!([signer.address()])).await["result"]);

    call(&url, "evm_mine", json!([])).await;
    let receipt = call(&url, "eth_getTransactionReceipt", json!([hash])).await["result"].clone();
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(receipt["type"], "0x3");
    assert_eq!(quantity(&receipt["blobGasUsed"]), 2 * 131_072);
    assert_eq!(quantity(&receipt["blobGasPrice"]), fee_before);
    let balance_after =
        quantity(&call(&url, "eth_getBalance", json!([signer.address()])).await["result"]);
    assert_eq!(
        balance_before - balance_after,
        quantity(&receipt["gasUsed"]) * quantity(&receipt["effectiveGasPrice"])
            + 2 * 131_072 * fee_before,
        "execution gas and blob gas are both charged"
    );
    let number = quantity(&receipt["blockNumber"]) as u64;
    let block =
        call(&url, "eth_getBlockByNumber", json!([format!("{number:#x}"), true])).await["result"]
            .clone();
    assert_eq!(quantity(&block["blobGasUsed"]), 2 * 131_072);
    assert_eq!(quantity(&block["excessBlobGas"]), 0);
    let tx = &block["transactions"][0];
    assert_eq!(tx["hash"], json!(hash));
    // Hash and transactions root are those of the canonical form (no sidecar).
    let canonical = signed_canonical(blob_tx(0, recorder, hashes.clone()), &signer);
    assert_eq!(keccak256(&canonical), hash);
    let root = alloy_trie::root::ordered_trie_root_with_encoder(&[canonical], |t, out| {
        out.extend_from_slice(t)
    });
    assert_eq!(block["transactionsRoot"], json!(root));
    assert_eq!(tx["blobVersionedHashes"], json!(hashes));
    assert!(
        tx.get("blobs").is_none() && tx.get("sidecar").is_none(),
        "blocks hold no sidecar: {tx}"
    );

    // BLOBHASH and BLOBBASEFEE inside the transaction...
    for (slot, want) in [(0, hashes[0]), (1, hashes[1]), (2, B256::with_last_byte(1))] {
        let stored =
            call(&url, "eth_getStorageAt", json!([recorder, format!("{slot:#x}"), "latest"])).await;
        assert_eq!(stored["result"], json!(want), "slot {slot}");
    }
    // ... and in eth_call with blobVersionedHashes.
    let called = call(
        &url,
        "eth_call",
        json!([{ "to": reader, "blobVersionedHashes": [hashes[1]] }, "latest"]),
    )
    .await;
    assert_eq!(called["result"], json!(hashes[1]), "{called}");

    // The beacon API serves the sidecar, equal to what was sent.
    let base = l1.beacon_url();
    let check = |data: &Value, indices: &[usize]| {
        let items = data["data"].as_array().unwrap_or_else(|| panic!("{data}"));
        assert_eq!(items.len(), indices.len(), "{data:.200}");
        for (item, &i) in items.iter().zip(indices) {
            assert_eq!(item["index"], i.to_string());
            let blob: Bytes = serde_json::from_value(item["blob"].clone()).unwrap();
            assert_eq!(keccak256(&blob), keccak256(blobs[i].as_slice()), "blob {i}");
            assert_eq!(item["kzg_commitment"], json!(sidecar.commitments[i]));
            assert_eq!(item["kzg_proof"], json!(sidecar.proofs[i]));
            assert_eq!(item["signed_block_header"]["message"]["slot"], number.to_string());
            assert_eq!(item["signed_block_header"]["message"]["body_root"], block["hash"]);
            assert_eq!(item["kzg_commitment_inclusion_proof"], json!([]));
        }
    };
    let path = |id: &str| format!("/eth/v1/beacon/blob_sidecars/{id}");
    let (status, by_number) = beacon(&base, &path(&number.to_string())).await;
    assert_eq!(status, 200);
    check(&by_number, &[0, 1]);
    check(&beacon(&base, &path("head")).await.1, &[0, 1]);
    check(&beacon(&base, &path(block["hash"].as_str().unwrap())).await.1, &[0, 1]);
    check(&beacon(&base, &format!("{}?indices=1", path("head"))).await.1, &[1]);
    check(&beacon(&base, &format!("{}?indices=0,1", path("head"))).await.1, &[0, 1]);
    let (status, genesis) = beacon(&base, &path("0")).await;
    assert_eq!((status, genesis["data"].clone()), (200, json!([])));
    let (status, missing) = beacon(&base, &path("999")).await;
    assert_eq!(status, 404);
    assert_eq!(missing["code"], 404);
    assert!(missing["message"].is_string());
    let (status, missing) = beacon(&base, &path(&format!("{}", B256::repeat_byte(7)))).await;
    assert_eq!((status, missing["code"].clone()), (404, json!(404)));
    let (status, invalid) = beacon(&base, &path("latest-ish")).await;
    assert_eq!((status, invalid["code"].clone()), (400, json!(400)));

    // The sidecar is durable: it survives a restart.
    l1.shutdown().await;
    let l1 = start(dir.path(), Some(Duration::from_secs(3600))).await;
    check(&beacon(&l1.beacon_url(), &path(&number.to_string())).await.1, &[0, 1]);
    let again =
        call(&l1.rpc_url(), "eth_getTransactionReceipt", json!([hash])).await["result"].clone();
    assert_eq!(quantity(&again["blobGasUsed"]), 2 * 131_072);
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_blob_transactions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), Some(Duration::from_secs(3600))).await;
    let url = l1.rpc_url();
    let to = Address::repeat_byte(0x44);
    let blobs = vec![text_blob(3), text_blob(4)];
    let good = sidecar(&blobs);
    let hashes: Vec<B256> = good.commitments.iter().map(versioned_hash).collect();

    // A commitment that does not match its versioned hash.
    let mut wrong = good.clone();
    wrong.commitments.swap(0, 1);
    wrong.proofs.swap(0, 1);
    let (raw, _) = signed_network(blob_tx(0, to, hashes.clone()), wrong, &key(1));
    let message = error_message(&send(&url, &raw).await);
    assert!(
        message.starts_with("blob 0: computed hash")
            && message.contains("mismatches transaction one"),
        "{message}"
    );
    // A proof that does not verify (commitments right, proofs swapped).
    let mut bad_proof = good.clone();
    bad_proof.proofs.swap(0, 1);
    let (raw, _) = signed_network(blob_tx(0, to, hashes.clone()), bad_proof, &key(1));
    let message = error_message(&send(&url, &raw).await);
    assert!(message.starts_with("invalid blob 0:"), "{message}");
    // The canonical form: no sidecar.
    let raw = signed_canonical(blob_tx(0, to, hashes.clone()), &key(1));
    assert_eq!(error_message(&send(&url, &raw).await), "missing sidecar in blob transaction");
    // More blob hashes than a transaction may carry.
    let mut seven = blob_tx(0, to, vec![hashes[0]; 7]);
    seven.gas_limit = 21_000;
    let (raw, _) = signed_network(seven, sidecar(&blobs[..1]), &key(1));
    assert_eq!(
        error_message(&send(&url, &raw).await),
        "too many blobs in transaction: have 7, permitted 6"
    );
    // Mismatched sidecar lengths.
    let (raw, _) = signed_network(blob_tx(0, to, hashes.clone()), sidecar(&blobs[..1]), &key(1));
    assert_eq!(
        error_message(&send(&url, &raw).await),
        "invalid number of 1 blobs compared to 2 blob hashes"
    );
    // A blob fee cap under the blob base fee.
    let mut cheap = blob_tx(0, to, hashes.clone());
    cheap.max_fee_per_blob_gas = 0;
    let (raw, _) = signed_network(cheap, good.clone(), &key(1));
    assert!(
        error_message(&send(&url, &raw).await)
            .starts_with("max fee per blob gas less than block blob gas fee"),
    );
    // Nothing was pooled; the good one is.
    let (raw, hash) = signed_network(blob_tx(0, to, hashes.clone()), good, &key(1));
    assert_eq!(send(&url, &raw).await["result"], json!(hash));
    l1.shutdown().await;
}

/// Sidecars of 1 to 6 blobs (and their versioned hashes), computed once.
fn sidecars(n: usize) -> (BlobTransactionSidecar, Vec<B256>) {
    static SIDECARS: OnceLock<BlobTransactionSidecar> = OnceLock::new();
    let full = SIDECARS.get_or_init(|| sidecar(&(10..16).map(text_blob).collect::<Vec<_>>()));
    let side = BlobTransactionSidecar::new(
        full.blobs[..n].to_vec(),
        full.commitments[..n].to_vec(),
        full.proofs[..n].to_vec(),
    );
    let hashes = side.commitments.iter().map(versioned_hash).collect();
    (side, hashes)
}

/// Sends one blob transaction of `blobs[i]` blobs from `key(i + 1)` each, and mines a block.
async fn mine_with_blobs(url: &str, nonces: &mut [u64; 2], blobs: &[usize]) {
    for (i, count) in blobs.iter().enumerate() {
        let (side, hashes) = sidecars(*count);
        let mut tx = blob_tx(nonces[i], Address::repeat_byte(0x99), hashes);
        tx.gas_limit = 21_000;
        let (raw, _) = signed_network(tx, side, &key(i as u8 + 1));
        let sent = send(url, &raw).await;
        assert!(sent["result"].is_string(), "{sent}");
        nonces[i] += 1;
    }
    call(url, "evm_mine", json!([])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn blob_base_fee_rises_above_target_and_the_eip7918_reserve_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), Some(Duration::from_secs(3600))).await;
    let url = l1.rpc_url();
    let mut nonces = [0u64; 2];
    let excess = |b: &Value| quantity(&b["excessBlobGas"]);
    let used = |b: &Value| quantity(&b["blobGasUsed"]);
    let base_fee = |b: &Value| quantity(&b["baseFeePerGas"]);
    // Whenever a block is mined, eth_blobBaseFee (asked before) is its blob
    // base fee, and equals fake_exponential of its excess blob gas.
    let mut fees = Vec::new();
    // Full blocks: 9 blobs (6 + 3), the Prague maximum, 3 over the target.
    for _ in 0..10 {
        let quoted = quantity(&call(&url, "eth_blobBaseFee", json!([])).await["result"]);
        mine_with_blobs(&url, &mut nonces, &[6, 3]).await;
        let block = latest(&url).await;
        assert_eq!(used(&block), 9 * u128::from(GAS_PER_BLOB));
        assert_eq!(blob_fee(excess(&block)), quoted, "eth_blobBaseFee announced this block's fee");
        fees.push(quoted);
    }
    let block = latest(&url).await;
    // Each full block adds 3 blobs of excess (under the reserve: 9 * 3/9).
    assert_eq!(excess(&block), 9 * 3 * u128::from(GAS_PER_BLOB));
    let next = quantity(&call(&url, "eth_blobBaseFee", json!([])).await["result"]);
    assert_eq!(next, blob_fee(10 * 3 * u128::from(GAS_PER_BLOB)));
    assert_eq!(fees[0], 1);
    assert!(next > fees[0], "the blob base fee rose: {fees:?} then {next}");
    assert!(fees.windows(2).all(|w| w[0] <= w[1]), "{fees:?}");

    // The blob price (2 wei) is far under the EIP-7918 reserve
    // (BLOB_BASE_COST * base_fee / GAS_PER_BLOB = base_fee / 16).
    let reserve = (1 << 13) * base_fee(&block) / u128::from(GAS_PER_BLOB);
    assert!(next < reserve, "{next} < {reserve}");
    // An empty block: plain EIP-4844 would lower the excess by the target
    // (6 blobs); under the reserve it stays.
    let before = excess(&latest(&url).await) + 9 * u128::from(GAS_PER_BLOB) / 3;
    call(&url, "evm_mine", json!([])).await;
    let empty = latest(&url).await;
    assert_eq!(excess(&empty), before, "the parent's full block still raised it");
    call(&url, "evm_mine", json!([])).await;
    let after_empty = latest(&url).await;
    assert_eq!(excess(&after_empty), excess(&empty), "an empty block does not lower it");
    // A block under the target (3 blobs): EIP-4844 would lower the excess by
    // 3 blobs; EIP-7918 raises it by 3 * 3/9 = 1 blob.
    mine_with_blobs(&url, &mut nonces, &[3]).await;
    let low = latest(&url).await;
    assert_eq!(used(&low), 3 * u128::from(GAS_PER_BLOB));
    assert_eq!(excess(&low), excess(&after_empty));
    call(&url, "evm_mine", json!([])).await;
    assert_eq!(excess(&latest(&url).await), excess(&low) + u128::from(GAS_PER_BLOB));
    let held = quantity(&call(&url, "eth_blobBaseFee", json!([])).await["result"]);
    assert!(held >= next, "the reserve keeps the blob base fee from falling: {held} < {next}");

    // eth_feeHistory reports the blob fee and the blob gas ratio per block.
    let history =
        call(&url, "eth_feeHistory", json!(["0x4", "latest", []])).await["result"].clone();
    let ratios = history["blobGasUsedRatio"].as_array().unwrap().clone();
    assert_eq!(ratios.len(), 4);
    assert_eq!(ratios[1], json!(0.0));
    assert!((ratios[2].as_f64().unwrap() - 3.0 / 9.0).abs() < 1e-9, "{history}");
    let blob_fees = history["baseFeePerBlobGas"].as_array().unwrap();
    assert_eq!(blob_fees.len(), 5);
    assert_eq!(quantity(&blob_fees[4]), held);

    // Blob room: two 6-blob transactions do not fit in one block (max 9).
    mine_with_blobs(&url, &mut nonces, &[6, 6]).await;
    assert_eq!(used(&latest(&url).await), 6 * u128::from(GAS_PER_BLOB));
    call(&url, "evm_mine", json!([])).await;
    assert_eq!(used(&latest(&url).await), 6 * u128::from(GAS_PER_BLOB), "the other one waited");
    assert_eq!(
        call(&url, "eth_getTransactionCount", json!([key(1).address(), "latest"])).await["result"],
        json!(format!("{:#x}", nonces[0]))
    );
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tx_manager_sends_blobs_and_the_beacon_client_reads_them_back() {
    use rollup_client::{
        BeaconClient, http_provider,
        txmgr::{TxManager, TxManagerConfig},
    };
    use rollup_protocol::l1_blob::sidecar_from_blobs;
    let dir = tempfile::tempdir().unwrap();
    let l1 = start(dir.path(), None).await;
    let blobs = vec![text_blob(7), text_blob(8)];
    let sidecar = sidecar_from_blobs(blobs.clone()).unwrap();
    let hashes: Vec<B256> = sidecar.versioned_hashes().collect();
    let manager =
        TxManager::new(http_provider(&l1.rpc_url()).unwrap(), key(3), TxManagerConfig::default());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let confirmed = manager
        .send_blobs(Address::repeat_byte(0x77), Bytes::new(), sidecar, &shutdown)
        .await
        .unwrap();
    let receipt = confirmed.receipt;
    assert!(receipt.status());
    assert_eq!(receipt.blob_gas_used, Some(2 * GAS_PER_BLOB));
    assert_eq!(receipt.blob_gas_price, Some(1));
    let block = receipt.block_number.unwrap();

    let beacon = BeaconClient::new(&l1.beacon_url());
    // In the order of the hashes asked for.
    let read = beacon.blobs(block, &[hashes[1], hashes[0]]).await.unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(*read[0], blobs[1]);
    assert_eq!(*read[1], blobs[0]);
    let all = beacon.sidecars("head").await.unwrap().unwrap();
    assert_eq!(all.iter().map(|s| s.versioned_hash()).collect::<Vec<_>>(), hashes);
    assert!(beacon.sidecars("12345").await.unwrap().is_none());
    let err = beacon.blobs(block, &[B256::repeat_byte(1)]).await.unwrap_err();
    assert!(err.to_string().contains("has no blob"), "{err}");
    l1.shutdown().await;
}
