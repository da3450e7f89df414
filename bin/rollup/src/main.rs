//! `rollup`: the devnet and one subcommand per role.
#![allow(missing_docs)]

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = rollup::cli::Cli::parse();
    rollup::cli::init_tracing();
    match cli.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let cause = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {cause}");
            ExitCode::FAILURE
        }
    }
}
