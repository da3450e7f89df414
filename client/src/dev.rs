//! Devnet keys: the public anvil/hardhat mnemonic, its first ten accounts for
//! users, and fixed higher indices for the roles, which never use 0-9.

use alloy_primitives::Address;
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};

/// The public development mnemonic (anvil, hardhat). Never use it on a real network.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Number of user dev accounts (m/44'/60'/0'/0/0..9), each funded on L1.
pub const DEV_ACCOUNTS: u32 = 10;

/// Role key indices in the dev mnemonic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Deploys the L1 contracts.
    Deployer = 100,
    /// Posts batches to `BatchInbox`.
    Batcher = 101,
    /// Proposes output roots to `OutputOracle`.
    Proposer = 102,
    /// Disputes wrong outputs.
    Challenger = 103,
    /// Sends `finalizeWithdrawal` on L1 for users of the bridge API.
    Relayer = 104,
    /// Defends correct outputs in dispute games (a registered defender).
    Defender = 105,
}

/// The signer at `m/44'/60'/0'/0/{index}` of [`DEV_MNEMONIC`].
pub fn dev_signer(index: u32) -> PrivateKeySigner {
    MnemonicBuilder::<English>::default()
        .phrase(DEV_MNEMONIC)
        .index(index)
        .expect("valid derivation index")
        .build()
        .expect("the dev mnemonic is valid")
}

/// User dev account `i` (0-9).
pub fn dev_account(i: u32) -> PrivateKeySigner {
    dev_signer(i)
}

/// A role's signer.
pub fn role_signer(role: Role) -> PrivateKeySigner {
    dev_signer(role as u32)
}

/// Addresses of the user dev accounts.
pub fn dev_addresses() -> Vec<Address> {
    (0..DEV_ACCOUNTS).map(|i| dev_account(i).address()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_dev_account_is_the_well_known_one() {
        assert_eq!(
            dev_account(0).address(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse::<Address>().unwrap()
        );
    }
}
