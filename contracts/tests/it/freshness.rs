//! The committed artifacts in `out/` must be exactly what `build.mjs` produces from `src/`.

use std::{
    io::ErrorKind,
    path::Path,
    process::{Command, Output},
};

fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    match Command::new(program).args(args).current_dir(dir).output() {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`{program}` is not on PATH: Node.js (with npm) is required to check that the \
             committed contract artifacts are fresh; install Node.js >= 18"
        ),
        Err(e) => panic!("failed to run `{program} {}`: {e}", args.join(" ")),
    }
}

fn describe(out: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn artifacts_are_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));

    let version = run(dir, "node", &["--version"]);
    assert!(version.status.success(), "`node --version` failed\n{}", describe(&version));

    if !dir.join("node_modules/solc/package.json").exists() {
        let npm = run(dir, "npm", &["ci", "--no-audit", "--no-fund"]);
        assert!(
            npm.status.success(),
            "`npm ci` in the contracts directory failed\n{}",
            describe(&npm)
        );
    }

    let check = run(dir, "node", &["build.mjs", "--check"]);
    assert!(
        check.status.success(),
        "contract artifacts in out/ are stale; run `cd contracts && npm ci && node build.mjs` and \
         commit the result\n{}",
        describe(&check)
    );
}
