// Spawns `rollup devnet --fresh` on free ports in a temporary data dir and
// waits for the bridge's /health. Used by the browser tests.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..", "..");

/** The `rollup` binary: $ROLLUP_BIN, else the debug build in the target dir. */
export function rollupBin() {
  if (process.env.ROLLUP_BIN) return process.env.ROLLUP_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(ROOT, "target");
  return join(resolve(ROOT, target), "debug", "rollup");
}

/** A port nothing listens on now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function waitHealthy(url, child, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`rollup devnet exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch (_) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the devnet's bridge at ${url} did not become healthy within ${seconds}s`);
}

/**
 * Starts a devnet; `fresh` (default) starts over in a new data dir, else
 * `dataDir` and the ports are reused (a restart). Logs go to `logFile`.
 */
export async function startDevnet({ dataDir, ports, logFile, fresh = true } = {}) {
  dataDir ??= mkdtempSync(join(tmpdir(), "rollup-browser-"));
  ports ??= { l1: await freePort(), l2: await freePort(), api: await freePort() };
  const args = ["devnet", "--data-dir", dataDir, "--l1-port", String(ports.l1),
    "--l2-port", String(ports.l2), "--api-port", String(ports.api)];
  if (fresh) args.push("--fresh");
  const child = spawn(rollupBin(), args, { stdio: ["ignore", "pipe", "pipe"] });
  if (logFile) {
    const log = createWriteStream(logFile, { flags: "a" });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }
  const url = `http://127.0.0.1:${ports.api}`;
  await waitHealthy(url, child, 90);
  return { url, dataDir, ports, child };
}

/** Stops a devnet (Ctrl-C, as a user would) and waits for it to exit. */
export async function stopDevnet(net, { removeData = true } = {}) {
  if (!net) return;
  if (net.child.exitCode === null) {
    const exited = new Promise((r) => net.child.once("exit", r));
    net.child.kill("SIGINT");
    const timer = setTimeout(() => net.child.kill("SIGKILL"), 15000);
    await exited;
    clearTimeout(timer);
  }
  if (removeData) rmSync(net.dataDir, { recursive: true, force: true });
}
