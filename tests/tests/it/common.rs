//! Helpers shared by the end-to-end tests.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder, RootProvider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    sol_types::SolCall,
};
use alloy_primitives::{Address, U256};
use rollup::devnet::Devnet;
use rollup_client::dev::dev_account;
use rollup_contracts::Bridge;

/// `Bridge.depositETH(to = self)` from dev account `account` on the devnet's
/// L1, with `amount` wei; returns the mined receipt (asserted successful).
pub async fn deposit_from_dev_account(
    net: &Devnet,
    account: u32,
    amount: U256,
) -> TransactionReceipt {
    let signer = dev_account(account);
    let l1 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(net.l1.rpc_url().parse().unwrap());
    let deposit = TransactionRequest::default()
        .with_to(net.rollup.contracts.bridge)
        .with_value(amount)
        .with_input(Bridge::depositETHCall { to: signer.address() }.abi_encode());
    let receipt = l1.send_transaction(deposit).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "deposit reverted");
    receipt
}

/// `to.call()` on the L1, decoded (asserted to succeed).
pub async fn view<C: SolCall>(l1: &RootProvider, to: Address, call: C) -> C::Return {
    let out = l1
        .call(TransactionRequest::default().with_to(to).with_input(call.abi_encode()))
        .await
        .unwrap();
    C::abi_decode_returns(&out).unwrap()
}
