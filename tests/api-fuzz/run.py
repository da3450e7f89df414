#!/usr/bin/env python3
"""Bounded schema fuzzing of the bridge API with schemathesis, against a
spawned `rollup devnet`.

Every request schemathesis generates from `/openapi.json` must get: no server
error, a response that matches the document (status, content type, body
schema), and no rejection of a schema-valid request (see schemathesis.toml
for the statuses that are not rejections). Positive coverage: at least one
deposit and one withdrawal generated from the document (its examples) must
succeed (201).

Three runs: the deposits first (so dev account 0 has L2 ETH), then every
operation but the endless `/v1/events` stream and the faults, then the
faults (arming one changes what the chains do next). Bounded by --max-examples
and --max-time. Prints `N passed, N failed` last; exits non-zero on failure.

Needs the `rollup` binary ($ROLLUP_BIN, else target/debug/rollup) and
schemathesis (scripts/setup.sh installs it in tests/api-fuzz/.venv).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = Path(os.environ.get("API_FUZZ_OUT", HERE / "out")).resolve()
DEV0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
])


def rollup_bin() -> str:
    if os.environ.get("ROLLUP_BIN"):
        return os.environ["ROLLUP_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target.is_absolute():
        target = ROOT / target
    return str(target / "debug" / "rollup")


def schemathesis_bin() -> str:
    venv = HERE / ".venv" / "bin" / "schemathesis"
    return str(venv) if venv.exists() else (shutil.which("schemathesis") or "schemathesis")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def wait_until(what: str, seconds: float, probe):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.25)
    raise SystemExit(f"api-fuzz: timed out after {seconds}s waiting for {what}")


def schemathesis(api: str, name: str, extra: list[str]) -> Path:
    """Runs schemathesis; returns its JUnit report."""
    junit = OUT / f"{name}.xml"
    cmd = [
        schemathesis_bin(), "--config-file", str(HERE / "schemathesis.toml"),
        "run", f"{api}/openapi.json",
        "--checks", CHECKS,
        "--mode", "positive",
        "--seed", "20261203",
        "--request-timeout", "130",
        "--workers", "1",
        "--suppress-health-check", "all",
        "--report", "junit,har",
        "--report-junit-path", str(junit),
        "--report-har-path", str(OUT / f"{name}.har"),
        *extra,
    ]
    print("api-fuzz:", " ".join(cmd[3:]), flush=True)
    subprocess.run(cmd, check=False)
    return junit


def junit_counts(path: Path) -> tuple[int, int]:
    if not path.exists():
        return 0, 1
    cases = ET.parse(path).getroot().iter("testcase")
    passed = failed = 0
    for case in cases:
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            print(f"api-fuzz: FAILED {case.get('name')}", flush=True)
        else:
            passed += 1
    return passed, failed


def successes(har: Path, method: str, path: str) -> int:
    if not har.exists():
        return 0
    entries = json.loads(har.read_text())["log"]["entries"]
    return sum(
        1
        for e in entries
        if e["request"]["method"] == method
        and urllib.parse.urlparse(e["request"]["url"]).path == path
        and e["response"]["status"] == 201
    )


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = tempfile.mkdtemp(prefix="rollup-api-fuzz-")
    ports = {"l1": free_port(), "l2": free_port(), "api": free_port()}
    api = f"http://127.0.0.1:{ports['api']}"
    log = open(OUT / "devnet.log", "w")
    devnet = subprocess.Popen(
        [rollup_bin(), "devnet", "--fresh", "--data-dir", data_dir,
         "--l1-port", str(ports["l1"]), "--l2-port", str(ports["l2"]), "--api-port", str(ports["api"])],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_until("the devnet's /health", 90, lambda: get_json(f"{api}/health")["status"] == "ok")
        # 1. Deposits (the example deposits 1 ETH from dev account 0 to itself).
        deposits = schemathesis(api, "deposits", [
            "--include-name", "POST /v1/deposits",
            "--phases", "examples,fuzzing", "--max-examples", "5", "--max-time", "30",
        ])
        l2 = f"http://127.0.0.1:{ports['l2']}"
        # The example withdraws 0.05 ETH: wait for the example deposit (1 ETH),
        # not just any generated one (which may be a few wei).
        wait_until("dev account 0's deposit on L2", 60, lambda: int(get_json(l2, {
            "jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [DEV0, "latest"],
        })["result"], 16) >= 10**17)
        # 2. Every operation but the endless event stream and the faults.
        everything = schemathesis(api, "all", [
            "--exclude-path", "/v1/events",
            "--exclude-path-regex", "^/v1/faults",
            "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "8", "--max-time", "100",
        ])
        # 3. The faults last: an armed fault changes what the chains do next
        # (a sequencer fault stalls L2 transactions until the chain heals).
        faults = schemathesis(api, "faults", [
            "--include-path-regex", "^/v1/faults",
            "--phases", "examples,coverage,fuzzing", "--max-examples", "8", "--max-time", "30",
        ])
        passed, failed = 0, 0
        for report in (deposits, everything, faults):
            p, f = junit_counts(report)
            passed, failed = passed + p, failed + f
        made = {
            "deposit": successes(OUT / "deposits.har", "POST", "/v1/deposits")
            + successes(OUT / "all.har", "POST", "/v1/deposits"),
            "withdrawal": successes(OUT / "all.har", "POST", "/v1/withdrawals"),
        }
        for what, count in made.items():
            if count > 0:
                passed += 1
                print(f"api-fuzz: {count} generated {what} request(s) succeeded (201)", flush=True)
            else:
                failed += 1
                print(f"api-fuzz: FAILED no generated {what} request succeeded", flush=True)
    finally:
        devnet.send_signal(signal.SIGINT)
        try:
            devnet.wait(timeout=20)
        except subprocess.TimeoutExpired:
            devnet.kill()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"api-fuzz: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
