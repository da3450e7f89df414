//! Replays of past L1 blocks for tracing (`debug_traceTransaction`,
//! `debug_traceBlock*`, `trace_transaction`, `trace_block`): the block's
//! environment from its header, the EIP-2935 system call the builder makes
//! first ([`crate::builder::block_evm`]), then its transactions in order,
//! each under the inspector the tracer asks for, on the state the block's
//! transactions ran on ([`Node::state_before`]).

use futures::future::BoxFuture;
use revm::{DatabaseCommit, ExecuteEvm, InspectEvm, context::ContextTr};
use rollup_node::{
    BlockReplayer, Node, ReplayDb, ReplayError, ReplayTracer, ReplayedTx, StoredBlock,
    replay::idle_inspector,
};
use rollup_protocol::{BlockEnvInput, RollupTxEnvelope, tx_env};
use std::sync::Arc;

/// The L1's [`BlockReplayer`].
#[derive(Debug, Default)]
pub(crate) struct L1Replayer;

impl BlockReplayer for L1Replayer {
    fn replay<'a>(
        &'a self,
        node: &'a Arc<Node>,
        block: &'a StoredBlock,
        tracer: &'a mut dyn ReplayTracer,
    ) -> BoxFuture<'a, Result<(), ReplayError>> {
        Box::pin(async move {
            let state = node.state_before(block.number()).await?;
            let header = &block.header;
            let env = BlockEnvInput {
                number: header.number,
                timestamp: header.timestamp,
                beneficiary: header.beneficiary,
                gas_limit: header.gas_limit,
                base_fee: header.base_fee_per_gas.unwrap_or_default(),
                prevrandao: header.mix_hash,
            };
            let mut db = ReplayDb::new(&state);
            let excess_blob_gas = header.excess_blob_gas.unwrap_or_default();
            let mut evm =
                crate::builder::block_evm(node, &mut db, &env, excess_blob_gas, header.parent_hash)
                    .with_inspector(idle_inspector());
            for (index, executed) in block.transactions.iter().enumerate() {
                let RollupTxEnvelope::Eth(tx) = &executed.tx else {
                    return Err(ReplayError::Other(format!(
                        "transaction {index} of L1 block {} is a deposit",
                        block.number()
                    )));
                };
                let env = tx_env(tx, executed.sender);
                let inspector = tracer.inspector(index);
                let traced = inspector.is_some();
                let out = match inspector {
                    None => evm.transact(env),
                    Some(inspector) => {
                        evm.inspector = inspector;
                        evm.inspect_tx(env)
                    }
                };
                let out = out.map_err(|e| {
                    ReplayError::Other(format!(
                        "transaction {index} of block {} does not replay: {e}",
                        block.number()
                    ))
                })?;
                if traced {
                    let inspector = std::mem::replace(&mut evm.inspector, idle_inspector());
                    let pre: &ReplayDb<'_> = evm.ctx.db_ref();
                    tracer.traced(
                        inspector,
                        ReplayedTx { index, result: Some(&out), minted: None, pre },
                    );
                }
                evm.ctx.db_mut().commit(out.state);
            }
            Ok(())
        })
    }
}
