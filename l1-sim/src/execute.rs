//! The L1's precompile set: Prague's plus EXECUTE at `0x…0101`, which
//! re-executes one L2 block statelessly ([`rollup_protocol::execute_precompile`],
//! where the input, the checks and the gas schedule are documented).

use alloy_primitives::Bytes;
use alloy_sol_types::SolValue;
use revm::precompile::{
    Precompile, PrecompileHalt, PrecompileId, PrecompileOutput, PrecompileResult, Precompiles,
};
use rollup_protocol::{
    EXECUTE_BASE_GAS, EXECUTE_GAS_PER_BLOB, EXECUTE_GAS_PER_INPUT_BYTE, EXECUTE_PRECOMPILE,
    execute_precompile,
};
use std::sync::OnceLock;

/// Prague's precompiles plus EXECUTE.
pub fn l1_precompiles() -> &'static Precompiles {
    static SET: OnceLock<Precompiles> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = Precompiles::prague().clone();
        set.extend([Precompile::new(
            PrecompileId::Custom("EXECUTE".into()),
            EXECUTE_PRECOMPILE,
            execute,
        )]);
        set
    })
}

fn execute(input: &[u8], gas_limit: u64, reservoir: u64) -> PrecompileResult {
    let input_gas = EXECUTE_BASE_GAS
        .saturating_add(EXECUTE_GAS_PER_INPUT_BYTE.saturating_mul(input.len() as u64));
    if input_gas > gas_limit {
        return Ok(PrecompileOutput::halt(PrecompileHalt::OutOfGas, reservoir));
    }
    match execute_precompile(input) {
        Ok(out) => {
            let gas = input_gas
                .saturating_add(out.l2_gas_used)
                .saturating_add(EXECUTE_GAS_PER_BLOB.saturating_mul(out.blobs as u64));
            if gas > gas_limit {
                return Ok(PrecompileOutput::halt(PrecompileHalt::OutOfGas, reservoir));
            }
            tracing::info!(target: "l1::execute", output_root = %out.output_root, l2_gas = out.l2_gas_used, gas, "EXECUTE");
            Ok(PrecompileOutput::new(gas, Bytes::from(out.output_root.abi_encode()), reservoir))
        }
        Err(e) => {
            tracing::info!(target: "l1::execute", %e, "EXECUTE failed");
            Ok(PrecompileOutput::halt(PrecompileHalt::other(e.to_string()), reservoir))
        }
    }
}
