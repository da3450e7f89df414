//! Reproducible workloads: the same transactions, signed for either chain.
//!
//! `transfer`: ETH transfers from `senders` accounts to recipients drawn
//! from a Zipf distribution (s = 1.1) over 2,000 addresses, so some
//! recipients are hot and most are cold, as on a real chain.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Zipf};

/// Number of distinct recipients.
pub(crate) const RECIPIENTS: u64 = 2_000;

/// One transaction of a workload, before signing.
#[derive(Clone, Debug)]
pub(crate) struct TxSpec {
    /// Index of the sender in [`Workload::senders`].
    pub(crate) sender: usize,
    /// Recipient.
    pub(crate) to: Address,
    /// Value, wei.
    pub(crate) value: U256,
    /// Calldata.
    pub(crate) input: Bytes,
    /// Gas limit.
    pub(crate) gas: u64,
}

/// A workload: its senders and transactions, in submission order.
#[derive(Debug)]
pub(crate) struct Workload {
    pub(crate) senders: Vec<PrivateKeySigner>,
    pub(crate) txs: Vec<TxSpec>,
}

impl Workload {
    /// `n` ETH transfers from `senders` accounts, from `seed`.
    pub(crate) fn transfers(n: usize, senders: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let keys: Vec<PrivateKeySigner> = (0..senders)
            .map(|i| {
                let secret =
                    keccak256([&seed.to_be_bytes()[..], &(i as u64).to_be_bytes()].concat());
                PrivateKeySigner::from_bytes(&secret).expect("a 32-byte secret is a valid key")
            })
            .collect();
        let zipf = Zipf::new(RECIPIENTS as f64, 1.1).expect("valid Zipf parameters");
        let txs = (0..n)
            .map(|_| {
                let rank = zipf.sample(&mut rng) as u64;
                TxSpec {
                    sender: rng.random_range(0..senders),
                    to: Address::from_word(keccak256(
                        [b"recipient".as_slice(), &seed.to_be_bytes(), &rank.to_be_bytes()]
                            .concat(),
                    )),
                    value: U256::from(
                        rng.random_range(1_000_000_000_000u64..1_000_000_000_000_000),
                    ),
                    input: Bytes::new(),
                    gas: 21_000,
                }
            })
            .collect();
        Self { senders: keys, txs }
    }

    /// The transactions signed for `chain_id` with consecutive nonces from 0
    /// per sender, paying at most `max_fee` and `tip` wei per gas.
    pub(crate) fn sign(&self, chain_id: u64, max_fee: u128, tip: u128) -> Vec<(B256, Bytes)> {
        let mut nonces = vec![0u64; self.senders.len()];
        self.txs
            .iter()
            .map(|spec| {
                let nonce = nonces[spec.sender];
                nonces[spec.sender] += 1;
                let tx = TxEip1559 {
                    chain_id,
                    nonce,
                    gas_limit: spec.gas,
                    max_fee_per_gas: max_fee,
                    max_priority_fee_per_gas: tip,
                    to: TxKind::Call(spec.to),
                    value: spec.value,
                    access_list: Default::default(),
                    input: spec.input.clone(),
                };
                let signature = self.senders[spec.sender]
                    .sign_hash_sync(&tx.signature_hash())
                    .expect("signing with a local key");
                let envelope = TxEnvelope::from(tx.into_signed(signature));
                (*envelope.tx_hash(), envelope.encoded_2718().into())
            })
            .collect()
    }
}
