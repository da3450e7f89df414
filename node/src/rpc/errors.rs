//! geth's error texts for transactions refused before execution
//! (`core/error.go`) and for executions that halt (`core/vm/errors.go`), so
//! that viem, ethers and cast recognise them (`nonce too low`, `insufficient
//! funds for gas * price + value`, `out of gas`, ...). No Rust `Debug`
//! formatting reaches a client.

use alloy_primitives::Address;
use revm::context_interface::result::{HaltReason, InvalidTransaction, OutOfGasError};

/// geth's message for a transaction that cannot be executed from `caller`
/// (`core/state_transition.go` `preCheck`, `core/error.go`).
pub(crate) fn invalid_tx(e: &InvalidTransaction, caller: Address) -> String {
    use InvalidTransaction as E;
    match e {
        E::LackOfFundForMaxFee { fee, balance } => format!(
            "insufficient funds for gas * price + value: address {caller} have {balance} want {fee}"
        ),
        E::CallGasCostMoreThanGasLimit { initial_gas, gas_limit } => {
            format!("intrinsic gas too low: have {gas_limit}, want {initial_gas}")
        }
        E::GasFloorMoreThanGasLimit { gas_floor, gas_limit } => {
            format!("insufficient gas for floor data gas cost: have {gas_limit}, want {gas_floor}")
        }
        E::NonceTooLow { tx, state } => {
            format!("nonce too low: address {caller}, tx: {tx} state: {state}")
        }
        E::NonceTooHigh { tx, state } => {
            format!("nonce too high: address {caller}, tx: {tx} state: {state}")
        }
        E::NonceOverflowInTransaction => {
            format!("nonce has max value: address {caller}, nonce: {}", u64::MAX)
        }
        E::PriorityFeeGreaterThanMaxFee => {
            "max priority fee per gas higher than max fee per gas".into()
        }
        E::GasPriceLessThanBasefee => "max fee per gas less than block base fee".into(),
        E::CallerGasLimitMoreThanBlock => "gas limit reached".into(),
        E::TxGasLimitGreaterThanCap { gas_limit, cap } => {
            format!("transaction gas limit too high (cap: {cap}, tx: {gas_limit})")
        }
        E::RejectCallerWithCode => format!("sender not an eoa: address {caller}"),
        E::OverflowPaymentInTransaction => "gas uint64 overflow".into(),
        E::CreateInitCodeSizeLimit => "max initcode size exceeded".into(),
        E::InvalidChainId | E::MissingChainId => "invalid chain id for signer".into(),
        E::BlobGasPriceGreaterThanMax { .. } => {
            "max fee per blob gas less than block blob gas fee".into()
        }
        E::EmptyBlobs => "blob transaction missing blob hashes".into(),
        E::BlobCreateTransaction => "blob transaction of type create".into(),
        E::TooManyBlobs { max, have } => {
            format!("blob transaction has too many blobs: have {have}, max {max}")
        }
        E::EmptyAuthorizationList => "EIP-7702 transaction with empty auth list".into(),
        E::AccessListNotSupported
        | E::MaxFeePerBlobGasNotSupported
        | E::BlobVersionedHashesNotSupported
        | E::AuthorizationListNotSupported
        | E::Eip2930NotSupported
        | E::Eip1559NotSupported
        | E::Eip4844NotSupported
        | E::Eip7702NotSupported => "transaction type not supported".into(),
        other => other.to_string(),
    }
}

/// geth's message for an execution that halted (not a revert), as `eth_call`
/// returns it with code -32000.
pub(crate) fn halt(reason: &HaltReason) -> String {
    use HaltReason as H;
    match reason {
        H::OutOfGas(OutOfGasError::InvalidOperand) => "gas uint64 overflow".into(),
        H::OutOfGas(_) => "out of gas".into(),
        H::OpcodeNotFound | H::NotActivated => "invalid opcode".into(),
        H::InvalidFEOpcode => "invalid opcode: INVALID".into(),
        H::InvalidJump => "invalid jump destination".into(),
        H::StackUnderflow => "stack underflow".into(),
        H::StackOverflow => "stack limit reached 1024 (1023)".into(),
        H::OutOfOffset => "return data out of bounds".into(),
        H::CreateCollision => "contract address collision".into(),
        H::PrecompileError | H::PrecompileErrorWithContext(_) => "precompiled failed".into(),
        H::NonceOverflow => "nonce uint64 overflow".into(),
        H::CreateContractSizeLimit => "max code size exceeded".into(),
        H::CreateContractStartingWithEF => "invalid code: must not begin with 0xef".into(),
        H::CreateInitCodeSizeLimit => "max initcode size exceeded".into(),
        H::OverflowPayment => "gas uint64 overflow".into(),
        H::StateChangeDuringStaticCall | H::CallNotAllowedInsideStatic => "write protection".into(),
        H::OutOfFunds => "insufficient balance for transfer".into(),
        H::CallTooDeep => "max call depth exceeded".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_geths_without_debug_formatting() {
        let from = Address::repeat_byte(1);
        let m = invalid_tx(
            &InvalidTransaction::LackOfFundForMaxFee {
                fee: Box::new(alloy_primitives::U256::from(10)),
                balance: Box::new(alloy_primitives::U256::ZERO),
            },
            from,
        );
        assert_eq!(
            m,
            format!("insufficient funds for gas * price + value: address {from} have 0 want 10")
        );
        assert_eq!(halt(&HaltReason::OutOfGas(OutOfGasError::Basic)), "out of gas");
        assert_eq!(halt(&HaltReason::InvalidFEOpcode), "invalid opcode: INVALID");
        for m in [m, halt(&HaltReason::PrecompileErrorWithContext("x".into()))] {
            assert!(!m.contains("Some(") && !m.contains('{'), "{m}");
        }
    }
}
