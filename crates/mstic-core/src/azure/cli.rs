//! How `azure_identity` runs the Azure CLI (`az account get-access-token`): on a blocking thread of
//! the shared runtime, so a slow `az` does not stall other async work (and tokio needs no
//! `process` feature).

use std::ffi::{OsStr, OsString};
use std::process::Output;

/// Runs the CLI's shell command with `std::process` on tokio's blocking pool.
#[derive(Debug, Default)]
pub(crate) struct BlockingExecutor;

#[async_trait::async_trait]
impl azure_identity::Executor for BlockingExecutor {
    async fn run(&self, program: &OsStr, args: &[&OsStr]) -> std::io::Result<Output> {
        let program = program.to_os_string();
        let args: Vec<OsString> = args.iter().map(|a| a.to_os_string()).collect();
        tokio::task::spawn_blocking(move || std::process::Command::new(program).args(args).stdin(std::process::Stdio::null()).output())
            .await
            .map_err(std::io::Error::other)?
    }
}
