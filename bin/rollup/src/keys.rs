//! Operator keys of the roles that sign L1 transactions: the deployer
//! (`rollup l1`), the batcher and the proposer (`rollup batcher`), the
//! challenger and its defender (`rollup challenger`) and the relayer
//! (`rollup bridge`).
//!
//! Each key comes, first found wins, from
//! 1. `--<role>-key <HEX>` or `ROLLUP_<ROLE>_KEY` (a 32-byte private key;
//!    prefer the variable: a flag shows in `ps`);
//! 2. `--<role>-keystore <FILE>`, an encrypted Ethereum keystore (Web3
//!    Secret Storage v3, as geth, cast and MetaMask write them), whose
//!    password is read from `--<role>-keystore-password-file <FILE>` or
//!    `ROLLUP_<ROLE>_KEYSTORE_PASSWORD`;
//! 3. with `--dev` only, the role's key of the public test mnemonic
//!    (`m/44'/60'/0'/0/100..105`, what `rollup devnet` uses).
//!
//! Without `--dev`, a command refuses to start with a well-known key: any of
//! the test mnemonic's first twenty accounts (anvil's and hardhat's
//! defaults) or its role keys. Keys are never logged: the flags and
//! variables are hidden from `--help`'s values, and a signer's `Debug`
//! shows its address only.

use alloy_primitives::{Address, hex};
use alloy_signer_local::PrivateKeySigner;
use clap::Args;
use eyre::{WrapErr, eyre};
use rollup_client::dev::{Role, dev_signer, role_signer};
use std::{collections::HashSet, path::PathBuf, sync::LazyLock};

/// Where one role's key comes from: the values of its four flags.
#[derive(Debug, Default)]
pub struct KeySource<'a> {
    /// The role's name in flags (`batcher`).
    pub role: &'static str,
    /// `--<role>-key`.
    pub key: Option<&'a str>,
    /// `--<role>-keystore`.
    pub keystore: Option<&'a PathBuf>,
    /// `--<role>-keystore-password-file`.
    pub password_file: Option<&'a PathBuf>,
    /// `ROLLUP_<ROLE>_KEYSTORE_PASSWORD`.
    pub password: Option<&'a str>,
}

impl KeySource<'_> {
    /// Whether the operator gave a key.
    pub const fn given(&self) -> bool {
        self.key.is_some() || self.keystore.is_some()
    }

    /// The operator's key, `None` if none was given.
    pub fn operator_key(&self) -> eyre::Result<Option<PrivateKeySigner>> {
        let role = self.role;
        if let Some(key) = self.key {
            let signer = key
                .trim()
                .parse::<PrivateKeySigner>()
                .map_err(|_| eyre!("--{role}-key: not a private key (expected 32 bytes of hex)"))?;
            return Ok(Some(signer));
        }
        let Some(path) = self.keystore else { return Ok(None) };
        let password = match (self.password_file, self.password) {
            (Some(file), _) => std::fs::read_to_string(file)
                .wrap_err_with(|| format!("--{role}-keystore-password-file {}", file.display()))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
            (None, Some(password)) => password.to_string(),
            (None, None) => {
                return Err(eyre!(
                    "--{role}-keystore needs its password: --{role}-keystore-password-file or ROLLUP_{}_KEYSTORE_PASSWORD",
                    role.to_uppercase()
                ));
            }
        };
        let signer = PrivateKeySigner::decrypt_keystore(path, password)
            .map_err(|e| eyre!("--{role}-keystore {}: {e}", path.display()))?;
        Ok(Some(signer))
    }

    /// The role's key: the operator's, or with `dev` the devnet key of
    /// `role`. Refuses a missing key, and a well-known one without `dev`.
    pub fn signer(&self, role: Role, dev: bool) -> eyre::Result<PrivateKeySigner> {
        match self.operator_key()? {
            Some(signer) => {
                refuse_well_known(self.role, signer.address(), dev)?;
                Ok(signer)
            }
            None if dev => Ok(role_signer(role)),
            None => Err(eyre!(
                "no {r} key: give --{r}-key, ROLLUP_{R}_KEY or --{r}-keystore (--dev uses the public devnet key)",
                r = self.role,
                R = self.role.to_uppercase()
            )),
        }
    }

    /// An optional role's key: the operator's, or with `dev` the devnet key
    /// of `role`, else none.
    pub fn optional_signer(&self, role: Role, dev: bool) -> eyre::Result<Option<PrivateKeySigner>> {
        if self.given() || dev { self.signer(role, dev).map(Some) } else { Ok(None) }
    }
}

/// The addresses of the public test mnemonic's well-known keys.
static WELL_KNOWN: LazyLock<HashSet<Address>> =
    LazyLock::new(|| (0..20).chain(100..=105).map(|i| dev_signer(i).address()).collect());

/// Whether `address` belongs to a key of the public test mnemonic that
/// anyone can spend from (see the module docs).
pub fn is_well_known(address: Address) -> bool {
    WELL_KNOWN.contains(&address)
}

/// Refuses `address` (of `what`, a role or a flag) if it is well known and
/// this is not a dev deployment.
pub fn refuse_well_known(what: &str, address: Address, dev: bool) -> eyre::Result<()> {
    if !dev && is_well_known(address) {
        return Err(eyre!(
            "the {what} key ({address}) is a well-known key of the public test mnemonic: anyone can spend from it; give your own key, or --dev for a development deployment"
        ));
    }
    Ok(())
}

/// Declares the clap flags of one role's key.
macro_rules! key_args {
    ($name:ident, $role:literal, $key:literal, $key_env:literal, $keystore:literal, $keystore_env:literal, $password_file:literal, $password_env:literal) => {
        #[doc = concat!("The ", $role, " key (see `crate::keys`).")]
        #[derive(Debug, Clone, Default, Args)]
        #[command(next_help_heading = "Keys")]
        pub struct $name {
            #[arg(id = $key, long = $key, env = $key_env, hide_env_values = true, value_name = "HEX",
                help = concat!("The ", $role, "'s private key, hex (prefer the variable or a keystore: flags show in `ps`)"))]
            key: Option<String>,
            #[arg(id = $keystore, long = $keystore, env = $keystore_env, value_name = "FILE",
                help = concat!("An encrypted keystore file (Web3 Secret Storage v3) holding the ", $role, "'s key"))]
            keystore: Option<PathBuf>,
            #[arg(id = $password_file, long = $password_file, value_name = "FILE",
                help = concat!("A file whose first line is the password of the ", $role, "'s keystore"))]
            keystore_password_file: Option<PathBuf>,
            #[arg(id = $password_env, long = concat!($role, "-keystore-password"), env = $password_env, hide = true, hide_env_values = true)]
            keystore_password: Option<String>,
        }

        impl $name {
            /// Where the key comes from.
            pub fn source(&self) -> KeySource<'_> {
                KeySource {
                    role: $role,
                    key: self.key.as_deref(),
                    keystore: self.keystore.as_ref(),
                    password_file: self.keystore_password_file.as_ref(),
                    password: self.keystore_password.as_deref(),
                }
            }
        }
    };
}

key_args!(
    DeployerKeyArgs,
    "deployer",
    "deployer-key",
    "ROLLUP_DEPLOYER_KEY",
    "deployer-keystore",
    "ROLLUP_DEPLOYER_KEYSTORE",
    "deployer-keystore-password-file",
    "ROLLUP_DEPLOYER_KEYSTORE_PASSWORD"
);
key_args!(
    BatcherKeyArgs,
    "batcher",
    "batcher-key",
    "ROLLUP_BATCHER_KEY",
    "batcher-keystore",
    "ROLLUP_BATCHER_KEYSTORE",
    "batcher-keystore-password-file",
    "ROLLUP_BATCHER_KEYSTORE_PASSWORD"
);
key_args!(
    ProposerKeyArgs,
    "proposer",
    "proposer-key",
    "ROLLUP_PROPOSER_KEY",
    "proposer-keystore",
    "ROLLUP_PROPOSER_KEYSTORE",
    "proposer-keystore-password-file",
    "ROLLUP_PROPOSER_KEYSTORE_PASSWORD"
);
key_args!(
    ChallengerKeyArgs,
    "challenger",
    "challenger-key",
    "ROLLUP_CHALLENGER_KEY",
    "challenger-keystore",
    "ROLLUP_CHALLENGER_KEYSTORE",
    "challenger-keystore-password-file",
    "ROLLUP_CHALLENGER_KEYSTORE_PASSWORD"
);
key_args!(
    DefenderKeyArgs,
    "defender",
    "defender-key",
    "ROLLUP_DEFENDER_KEY",
    "defender-keystore",
    "ROLLUP_DEFENDER_KEYSTORE",
    "defender-keystore-password-file",
    "ROLLUP_DEFENDER_KEYSTORE_PASSWORD"
);
key_args!(
    RelayerKeyArgs,
    "relayer",
    "relayer-key",
    "ROLLUP_RELAYER_KEY",
    "relayer-keystore",
    "ROLLUP_RELAYER_KEYSTORE",
    "relayer-keystore-password-file",
    "ROLLUP_RELAYER_KEYSTORE_PASSWORD"
);

/// The accounts `rollup l1` authorises in the contracts it deploys: the
/// batcher (`BatchInbox`), the proposer (`OutputOracle`) and the defender
/// (`DisputeGameFactory`); with `--dev`, the devnet's role accounts.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Keys")]
pub struct RoleAddressArgs {
    /// The batcher's address, allowed to post batches.
    #[arg(long, env = "ROLLUP_BATCHER_ADDRESS")]
    batcher_address: Option<Address>,
    /// The proposer's address, allowed to propose outputs.
    #[arg(long, env = "ROLLUP_PROPOSER_ADDRESS")]
    proposer_address: Option<Address>,
    /// A registered defender, allowed to defend outputs in dispute games.
    #[arg(long, env = "ROLLUP_DEFENDER_ADDRESS")]
    defender_address: Option<Address>,
}

/// The keys and accounts a deployment uses.
#[derive(Debug, Clone)]
pub struct DeployKeys {
    /// Signs the deployment.
    pub deployer: PrivateKeySigner,
    /// The batcher account.
    pub batcher: Address,
    /// The proposer account.
    pub proposer: Address,
    /// The defender account.
    pub defender: Address,
}

impl DeployKeys {
    /// The devnet's: role keys of the public test mnemonic.
    pub fn dev() -> Self {
        Self {
            deployer: role_signer(Role::Deployer),
            batcher: role_signer(Role::Batcher).address(),
            proposer: role_signer(Role::Proposer).address(),
            defender: role_signer(Role::Defender).address(),
        }
    }
}

impl RoleAddressArgs {
    /// The deployment's keys: `deployer`'s key, these addresses (each
    /// required without `--dev`, else the devnet role's).
    pub fn deploy_keys(&self, deployer: &KeySource<'_>, dev: bool) -> eyre::Result<DeployKeys> {
        let dev_keys = DeployKeys::dev();
        let pick = |given: Option<Address>, flag: &str, default: Address| match given {
            Some(address) => refuse_well_known(flag, address, dev).map(|()| address),
            None if dev => Ok(default),
            None => Err(eyre!("--{flag}-address is required (or --dev for the devnet's accounts)")),
        };
        Ok(DeployKeys {
            deployer: deployer.signer(Role::Deployer, dev)?,
            batcher: pick(self.batcher_address, "batcher", dev_keys.batcher)?,
            proposer: pick(self.proposer_address, "proposer", dev_keys.proposer)?,
            defender: pick(self.defender_address, "defender", dev_keys.defender)?,
        })
    }
}

/// `0x`-less hex of a key, for tests and the devnet's banner.
pub fn key_hex(signer: &PrivateKeySigner) -> String {
    hex::encode(signer.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Web3 Secret Storage definition's PBKDF2 test vector (password
    /// `testpassword`, secret `7a28b5ba...514fe9d`).
    const VECTOR: &str = r#"{"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6087dab2f9fdbbfaddc31a909735c1e6"},"ciphertext":"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46","kdf":"pbkdf2","kdfparams":{"c":262144,"dklen":32,"prf":"hmac-sha256","salt":"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"},"mac":"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"},"id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}"#;
    const VECTOR_ADDRESS: Address =
        alloy_primitives::address!("0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b");

    fn source<'a>(key: Option<&'a str>) -> KeySource<'a> {
        KeySource { role: "batcher", key, ..Default::default() }
    }

    #[test]
    fn without_dev_a_key_is_required_and_a_well_known_one_refused() {
        let err = source(None).signer(Role::Batcher, false).unwrap_err().to_string();
        assert!(err.contains("no batcher key") && err.contains("ROLLUP_BATCHER_KEY"), "{err}");

        let public = key_hex(&role_signer(Role::Batcher));
        let err = source(Some(&public)).signer(Role::Batcher, false).unwrap_err().to_string();
        assert!(err.contains("well-known"), "{err}");
        // anvil's account 0 is the same mnemonic's index 0.
        let anvil0 = key_hex(&dev_signer(0));
        assert!(source(Some(&anvil0)).signer(Role::Batcher, false).is_err());

        // With --dev: the devnet's role key, or the public key given.
        assert_eq!(
            source(None).signer(Role::Batcher, true).unwrap().address(),
            role_signer(Role::Batcher).address()
        );
        assert!(source(Some(&public)).signer(Role::Batcher, true).is_ok());
    }

    #[test]
    fn an_operator_key_is_taken_as_given() {
        let own = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
        let signer = source(Some(own)).signer(Role::Batcher, false).unwrap();
        assert_eq!(format!("0x{}", key_hex(&signer)), own);
        assert!(!is_well_known(signer.address()));
        // The signer's Debug never shows the key.
        assert!(!format!("{signer:?}").contains(&own[2..]));
        let err = source(Some("0x1234")).signer(Role::Batcher, false).unwrap_err().to_string();
        assert!(err.contains("--batcher-key: not a private key"), "{err}");
        assert!(!err.contains("1234"), "the bad value is not echoed: {err}");
    }

    #[test]
    fn an_encrypted_keystore_opens_with_its_password_from_a_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        std::fs::write(&path, VECTOR).unwrap();
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, "testpassword\n").unwrap();

        let from_file = KeySource {
            role: "proposer",
            keystore: Some(&path),
            password_file: Some(&password_file),
            ..Default::default()
        };
        assert_eq!(from_file.signer(Role::Proposer, false).unwrap().address(), VECTOR_ADDRESS);

        let from_env = KeySource {
            role: "proposer",
            keystore: Some(&path),
            password: Some("testpassword"),
            ..Default::default()
        };
        assert_eq!(from_env.signer(Role::Proposer, false).unwrap().address(), VECTOR_ADDRESS);

        let wrong = KeySource { password: Some("nope"), ..from_env };
        assert!(wrong.signer(Role::Proposer, false).is_err());
        let none = KeySource { role: "proposer", keystore: Some(&path), ..Default::default() };
        let err = none.signer(Role::Proposer, false).unwrap_err().to_string();
        assert!(err.contains("ROLLUP_PROPOSER_KEYSTORE_PASSWORD"), "{err}");
    }

    #[test]
    fn a_deployment_needs_its_role_addresses_without_dev() {
        let args = RoleAddressArgs::default();
        let deployer_key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
        let deployer =
            KeySource { role: "deployer", key: Some(deployer_key), ..Default::default() };
        let err = args.deploy_keys(&deployer, false).unwrap_err().to_string();
        assert!(err.contains("--batcher-address is required"), "{err}");
        let own = RoleAddressArgs {
            batcher_address: Some(Address::repeat_byte(1)),
            proposer_address: Some(Address::repeat_byte(2)),
            defender_address: Some(Address::repeat_byte(3)),
        };
        let keys = own.deploy_keys(&deployer, false).unwrap();
        assert_eq!(keys.proposer, Address::repeat_byte(2));
        let public =
            RoleAddressArgs { batcher_address: Some(role_signer(Role::Batcher).address()), ..own };
        assert!(public.deploy_keys(&deployer, false).is_err());
        assert_eq!(
            args.deploy_keys(&KeySource::default(), true).unwrap().batcher,
            DeployKeys::dev().batcher
        );
    }
}
