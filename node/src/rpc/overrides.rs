//! geth's state and block overrides, the third and fourth parameters of
//! `eth_call` and `eth_estimateGas` (`internal/ethapi/override`):
//!
//! - state: per address `balance`, `nonce`, `code`, and either `state` (the
//!   whole storage replaced) or `stateDiff` (slots patched), applied to a
//!   copy-on-write view of the head state, never to the chain;
//! - block: `number`, `time`, `gasLimit`, `feeRecipient`, `prevRandao`,
//!   `baseFeePerGas`, `blobBaseFee` of the block the call runs in.

use super::RpcError;
use alloy_primitives::{U256, map::HashMap};
use alloy_rpc_types_eth::{BlockOverrides, state::StateOverride};
use revm::{
    DatabaseRef, bytecode::Bytecode, context::BlockEnv, database::CacheDB,
    primitives::KECCAK_EMPTY, state::AccountInfo,
};

/// Both kinds of override of one call.
#[derive(Clone, Debug, Default)]
pub struct EvmOverrides {
    /// Account overrides.
    pub state: Option<StateOverride>,
    /// Block-environment overrides.
    pub block: Option<Box<BlockOverrides>>,
}

/// Applies `overrides` to `db` (geth's `StateOverride.Apply`).
///
/// Errors: an account with both `state` and `stateDiff` (geth's message),
/// and `movePrecompileToAddress`, which this node does not support.
pub(crate) fn apply_state<DB: DatabaseRef>(
    db: &mut CacheDB<DB>,
    overrides: &StateOverride,
) -> Result<(), RpcError>
where
    DB::Error: std::fmt::Display,
{
    for (address, account) in overrides {
        if account.state.is_some() && account.state_diff.is_some() {
            return Err(RpcError::invalid_params(format!(
                "account {address} has both 'state' and 'stateDiff'"
            )));
        }
        if account.move_precompile_to.is_some() {
            return Err(RpcError::invalid_params(
                "movePrecompileToAddress is not supported by this node",
            ));
        }
        let mut info: AccountInfo = db
            .basic_ref(*address)
            .map_err(|e| RpcError::server(e.to_string()))?
            .unwrap_or_default();
        if let Some(balance) = account.balance {
            info.balance = balance;
        }
        if let Some(nonce) = account.nonce {
            info.nonce = nonce;
        }
        if let Some(code) = &account.code {
            if code.is_empty() {
                info.code_hash = KECCAK_EMPTY;
                info.code = Some(Bytecode::default());
            } else {
                let bytecode = Bytecode::new_raw(code.clone());
                info.code_hash = bytecode.hash_slow();
                info.code = Some(bytecode);
            }
        } else if info.code.is_none() && info.code_hash != KECCAK_EMPTY {
            let code =
                db.code_by_hash_ref(info.code_hash).map_err(|e| RpcError::server(e.to_string()))?;
            info.code = Some(code);
        }
        db.insert_account_info(*address, info);
        if let Some(state) = &account.state {
            let storage: HashMap<U256, U256> =
                state.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
            db.replace_account_storage(*address, storage.into_iter().collect())
                .map_err(|e| RpcError::server(e.to_string()))?;
        }
        if let Some(diff) = &account.state_diff {
            for (slot, value) in diff {
                db.insert_account_storage(*address, (*slot).into(), (*value).into())
                    .map_err(|e| RpcError::server(e.to_string()))?;
            }
        }
    }
    Ok(())
}

/// Applies `overrides` to the block environment (geth's
/// `BlockOverrides.Apply`). `blockHash` overrides are refused: BLOCKHASH
/// reads the chain.
pub(crate) fn apply_block(env: &mut BlockEnv, overrides: &BlockOverrides) -> Result<(), RpcError> {
    if overrides.block_hash.as_ref().is_some_and(|m| !m.is_empty()) {
        return Err(RpcError::invalid_params("blockHash overrides are not supported by this node"));
    }
    if let Some(number) = overrides.number {
        env.number = number;
    }
    if let Some(difficulty) = overrides.difficulty {
        env.difficulty = difficulty;
    }
    if let Some(time) = overrides.time {
        env.timestamp = U256::from(time);
    }
    if let Some(gas_limit) = overrides.gas_limit {
        env.gas_limit = gas_limit;
    }
    if let Some(coinbase) = overrides.coinbase {
        env.beneficiary = coinbase;
    }
    if let Some(random) = overrides.random {
        env.prevrandao = Some(random);
    }
    if let Some(base_fee) = overrides.base_fee {
        env.basefee = u64::try_from(base_fee)
            .map_err(|_| RpcError::invalid_params("baseFeePerGas override out of range"))?;
    }
    if let Some(blob_base_fee) = overrides.blob_base_fee
        && let Some(blob) = &mut env.blob_excess_gas_and_price
    {
        blob.blob_gasprice = u128::try_from(blob_base_fee)
            .map_err(|_| RpcError::invalid_params("blobBaseFee override out of range"))?;
    }
    Ok(())
}
