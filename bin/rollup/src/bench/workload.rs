//! Reproducible workloads: the same transactions, signed for either chain.
//!
//! Every workload is generated from a seed. Recipients are drawn from a Zipf
//! distribution (s = 1.1) over 2,000 addresses, so a few are hot and most are
//! cold, as on a real chain.
//! - `transfer`: ETH transfers between many accounts, of amounts as people
//!   type them into a wallet: up to four significant digits, `k × 10^e` wei
//!   with `k` in 1..=9999 and `e` in 10..=13 (0.00000001 to 0.09999 ETH).
//! - `erc20`: `BenchToken.transfer` calls on a real ERC-20 contract.
//! - `swap`: `BenchPool.swapExactIn` on a real constant-product pool (0.3% fee)
//!   of two `BenchToken`s, in both directions.
//! - `mixed`: 50% transfers, 30% ERC-20 transfers, 20% swaps.
//!
//! A workload has a setup (deploying the contracts from a deployer key,
//! seeding the pool's liquidity, giving every sender tokens and approvals)
//! that is run and settled before the measured transactions.

use alloy::sol_types::{SolCall, SolConstructor};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Zipf};
use rollup_contracts::{BenchPool, BenchToken};
use std::str::FromStr;

/// Number of distinct recipients.
pub(crate) const RECIPIENTS: u64 = 2_000;
const TOKEN: u128 = 1_000_000_000_000_000_000;

/// Which workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ETH transfers.
    Transfer,
    /// ERC-20 transfers.
    Erc20,
    /// Constant-product swaps.
    Swap,
    /// 50% transfers, 30% ERC-20, 20% swaps.
    Mixed,
}

impl Kind {
    /// The kinds a workload's transactions are made of (`mixed` is a blend).
    pub const MEASURED: [Self; 3] = [Self::Transfer, Self::Erc20, Self::Swap];
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "transfer" => Ok(Self::Transfer),
            "erc20" => Ok(Self::Erc20),
            "swap" => Ok(Self::Swap),
            "mixed" => Ok(Self::Mixed),
            other => Err(format!("unknown workload {other:?}: transfer, erc20, swap or mixed")),
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Transfer => "transfer",
            Self::Erc20 => "erc20",
            Self::Swap => "swap",
            Self::Mixed => "mixed",
        })
    }
}

/// One transaction of a workload, before signing.
#[derive(Clone, Debug)]
pub(crate) struct TxSpec {
    /// Index of the signer in [`Workload::keys`] (0 is the deployer).
    pub(crate) key: usize,
    /// Recipient or creation.
    pub(crate) to: TxKind,
    /// Value, wei.
    pub(crate) value: U256,
    /// Calldata.
    pub(crate) input: Bytes,
    /// Gas limit.
    pub(crate) gas: u64,
}

/// A signed transaction of a workload.
#[derive(Clone, Debug)]
pub(crate) struct Signed {
    /// Its hash.
    pub(crate) hash: B256,
    /// EIP-2718 bytes.
    pub(crate) raw: Bytes,
    /// Its sender's nonce.
    pub(crate) nonce: u64,
    /// Sent by the deployer (key 0).
    pub(crate) deployer: bool,
}

/// A workload: keys, setup and measured transactions.
#[derive(Debug)]
pub(crate) struct Workload {
    /// Key 0 deploys and seeds; keys 1.. send the measured transactions.
    pub(crate) keys: Vec<PrivateKeySigner>,
    /// Run and settled before measuring.
    pub(crate) setup: Vec<TxSpec>,
    /// The measured transactions, in submission order.
    pub(crate) txs: Vec<TxSpec>,
    /// The kind of each measured transaction (transfer, erc20 or swap).
    pub(crate) kinds: Vec<Kind>,
}

pub(crate) fn key(seed: u64, label: &[u8], i: u64) -> PrivateKeySigner {
    let secret = keccak256([label, &seed.to_be_bytes(), &i.to_be_bytes()].concat());
    PrivateKeySigner::from_bytes(&secret).expect("a 32-byte secret is a valid key")
}

impl Workload {
    /// `n` transactions of `kind` from `senders` accounts, from `seed`.
    pub(crate) fn generate(kind: Kind, n: usize, senders: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let deployer = key(seed, b"deployer", 0);
        let keys: Vec<PrivateKeySigner> = std::iter::once(deployer.clone())
            .chain((0..senders as u64).map(|i| key(seed, b"sender", i)))
            .collect();
        let token_a = deployer.address().create(0);
        let token_b = deployer.address().create(1);
        let pool = deployer.address().create(2);
        let mut setup = Vec::new();
        let mut deployer_tx = |to: TxKind, input: Vec<u8>, gas: u64| {
            setup.push(TxSpec { key: 0, to, value: U256::ZERO, input: input.into(), gas })
        };
        if kind != Kind::Transfer {
            let supply = U256::from(TOKEN) * U256::from(1_000_000_000u64);
            for name in ["A", "B"] {
                let args = BenchToken::constructorCall {
                    name: format!("Bench {name}"),
                    symbol: format!("BN{name}"),
                    holder: deployer.address(),
                    supply,
                }
                .abi_encode();
                deployer_tx(
                    TxKind::Create,
                    [BenchToken::BYTECODE.as_ref(), &args].concat(),
                    1_500_000,
                );
            }
            let args = BenchPool::constructorCall { token0: token_a, token1: token_b }.abi_encode();
            deployer_tx(TxKind::Create, [BenchPool::BYTECODE.as_ref(), &args].concat(), 2_000_000);
            let liquidity = U256::from(TOKEN) * U256::from(10_000_000u64);
            for token in [token_a, token_b] {
                let call = BenchToken::approveCall { spender: pool, value: U256::MAX };
                deployer_tx(TxKind::Call(token), call.abi_encode(), 100_000);
            }
            let call = BenchPool::addLiquidityCall { amount0: liquidity, amount1: liquidity };
            deployer_tx(TxKind::Call(pool), call.abi_encode(), 300_000);
            for sender in &keys[1..] {
                for token in [token_a, token_b] {
                    let call = BenchToken::transferCall {
                        to: sender.address(),
                        value: U256::from(TOKEN) * U256::from(100_000u64),
                    };
                    deployer_tx(TxKind::Call(token), call.abi_encode(), 100_000);
                }
            }
            for (i, _) in keys.iter().enumerate().skip(1) {
                for token in [token_a, token_b] {
                    let call = BenchToken::approveCall { spender: pool, value: U256::MAX };
                    setup.push(TxSpec {
                        key: i,
                        to: TxKind::Call(token),
                        value: U256::ZERO,
                        input: call.abi_encode().into(),
                        gas: 100_000,
                    });
                }
            }
        }
        let zipf = Zipf::new(RECIPIENTS as f64, 1.1).expect("valid Zipf parameters");
        let mut kinds = Vec::with_capacity(n);
        let txs = (0..n)
            .map(|_| {
                let rank = zipf.sample(&mut rng) as u64;
                let recipient = Address::from_word(keccak256(
                    [b"recipient".as_slice(), &seed.to_be_bytes(), &rank.to_be_bytes()].concat(),
                ));
                let sender = rng.random_range(1..keys.len());
                let which = match kind {
                    Kind::Mixed => match rng.random_range(0..10) {
                        0..5 => Kind::Transfer,
                        5..8 => Kind::Erc20,
                        _ => Kind::Swap,
                    },
                    other => other,
                };
                kinds.push(which);
                match which {
                    Kind::Erc20 => {
                        let token = if rng.random_bool(0.5) { token_a } else { token_b };
                        let value = U256::from(rng.random_range(1u64..1_000)) * U256::from(TOKEN);
                        TxSpec {
                            key: sender,
                            to: TxKind::Call(token),
                            value: U256::ZERO,
                            input: BenchToken::transferCall { to: recipient, value }
                                .abi_encode()
                                .into(),
                            gas: 60_000,
                        }
                    }
                    Kind::Swap => {
                        let token_in = if rng.random_bool(0.5) { token_a } else { token_b };
                        let amount_in = U256::from(rng.random_range(1u64..100)) * U256::from(TOKEN);
                        let call = BenchPool::swapExactInCall {
                            tokenIn: token_in,
                            amountIn: amount_in,
                            minOut: U256::ZERO,
                            to: keys[sender].address(),
                        };
                        TxSpec {
                            key: sender,
                            to: TxKind::Call(pool),
                            value: U256::ZERO,
                            input: call.abi_encode().into(),
                            gas: 130_000,
                        }
                    }
                    _ => TxSpec {
                        key: sender,
                        to: TxKind::Call(recipient),
                        value: U256::from(rng.random_range(1u64..10_000))
                            * U256::from(10u64.pow(rng.random_range(10..14))),
                        input: Bytes::new(),
                        gas: 21_000,
                    },
                }
            })
            .collect();
        Self { keys, setup, txs, kinds }
    }

    /// The setup and the measured transactions signed for `chain_id`, with
    /// consecutive nonces from 0 per key (setup first).
    pub(crate) fn sign(
        &self,
        chain_id: u64,
        max_fee: u128,
        tip: u128,
    ) -> (Vec<Signed>, Vec<Signed>) {
        let mut nonces = vec![0u64; self.keys.len()];
        let mut sign = |spec: &TxSpec| {
            let nonce = nonces[spec.key];
            nonces[spec.key] += 1;
            let tx = TxEip1559 {
                chain_id,
                nonce,
                gas_limit: spec.gas,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to: spec.to,
                value: spec.value,
                access_list: Default::default(),
                input: spec.input.clone(),
            };
            let signature = self.keys[spec.key]
                .sign_hash_sync(&tx.signature_hash())
                .expect("signing with a local key");
            let envelope = TxEnvelope::from(tx.into_signed(signature));
            Signed {
                hash: *envelope.tx_hash(),
                raw: Bytes::from(envelope.encoded_2718()),
                nonce,
                deployer: spec.key == 0,
            }
        };
        let setup = self.setup.iter().map(&mut sign).collect();
        let txs = self.txs.iter().map(&mut sign).collect();
        (setup, txs)
    }
}
