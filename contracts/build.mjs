// Compiles every src/*.sol with the pinned solc-js (package.json) and writes one
// foundry-shaped artifact per contract to out/<Name>.json:
//   {"abi": [...], "bytecode": {"object": "0x..."}, "deployedBytecode": {"object": "0x..."}}
//
// Usage (from this directory, after `npm ci`):
//   node build.mjs           regenerate out/
//   node build.mjs --check   compile in memory; exit 1 listing every stale, missing or extra
//                            artifact in out/
//
// Settings are fixed for reproducible output: optimizer on (200 runs), evmVersion cancun,
// no metadata hash and no CBOR metadata appended to the bytecode.

import { readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ROOT = dirname(fileURLToPath(import.meta.url));
const SRC_DIR = join(ROOT, "src");
const OUT_DIR = join(ROOT, "out");
const CHECK = process.argv.includes("--check");
const EXPECTED_SOLC = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).dependencies.solc;

function fail(msg) {
  console.error(`build.mjs: ${msg}`);
  process.exit(1);
}

function loadSolc() {
  let solc;
  try {
    solc = require("solc");
  } catch (e) {
    fail(`cannot load solc (${e.message}); run \`npm ci\` in the contracts directory first`);
  }
  const version = solc.version();
  if (!version.startsWith(`${EXPECTED_SOLC}+`)) {
    fail(`solc ${version} is installed but package.json pins ${EXPECTED_SOLC}; run \`npm ci\``);
  }
  return solc;
}

function sourceUnits() {
  const files = readdirSync(SRC_DIR)
    .filter((f) => f.endsWith(".sol"))
    .sort();
  if (files.length === 0) fail("no .sol files in src/");
  const sources = {};
  for (const f of files) {
    sources[`src/${f}`] = { content: readFileSync(join(SRC_DIR, f), "utf8") };
  }
  return sources;
}

// Resolves imports that are not already part of the input, restricted to this directory.
function findImports(path) {
  const full = resolve(ROOT, path);
  const rel = relative(ROOT, full);
  if (rel.startsWith("..") || rel.split(sep).includes("node_modules")) {
    return { error: `import outside the contracts directory: ${path}` };
  }
  try {
    return { contents: readFileSync(full, "utf8") };
  } catch (e) {
    return { error: `cannot read ${path}: ${e.message}` };
  }
}

function compile(solc) {
  const input = {
    language: "Solidity",
    sources: sourceUnits(),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      metadata: { bytecodeHash: "none", appendCBOR: false },
      outputSelection: {
        "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
      },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  let errors = 0;
  for (const diag of output.errors ?? []) {
    const text = diag.formattedMessage ?? diag.message;
    if (diag.severity === "error") {
      errors++;
      console.error(text);
    } else if (!CHECK) {
      // Warnings are shown when building; --check only reports freshness.
      console.error(text);
    }
  }
  if (errors > 0) fail(`compilation failed with ${errors} error(s)`);

  // Name -> pretty-printed artifact text.
  const artifacts = new Map();
  for (const file of Object.keys(output.contracts ?? {}).sort()) {
    for (const name of Object.keys(output.contracts[file]).sort()) {
      if (artifacts.has(name)) fail(`contract name ${name} is defined more than once`);
      const c = output.contracts[file][name];
      const bytecode = c.evm.bytecode.object;
      const deployed = c.evm.deployedBytecode.object;
      if (bytecode.includes("__$") || deployed.includes("__$")) {
        fail(`${name} needs library linking, which this build does not support`);
      }
      const artifact = {
        abi: c.abi,
        bytecode: { object: `0x${bytecode}` },
        deployedBytecode: { object: `0x${deployed}` },
      };
      artifacts.set(name, `${JSON.stringify(artifact, null, 2)}\n`);
    }
  }
  return artifacts;
}

function existingArtifacts() {
  if (!existsSync(OUT_DIR)) return [];
  return readdirSync(OUT_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

function check(artifacts) {
  const problems = [];
  for (const [name, text] of artifacts) {
    const path = join(OUT_DIR, `${name}.json`);
    if (!existsSync(path)) {
      problems.push(`missing: out/${name}.json`);
    } else if (readFileSync(path, "utf8") !== text) {
      problems.push(`stale:   out/${name}.json`);
    }
  }
  for (const f of existingArtifacts()) {
    if (!artifacts.has(f.slice(0, -".json".length))) problems.push(`extra:   out/${f}`);
  }
  if (problems.length > 0) {
    console.error("artifacts in out/ do not match src/ (regenerate with `node build.mjs`):");
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log(`all ${artifacts.size} artifacts in out/ are up to date`);
}

function write(artifacts) {
  mkdirSync(OUT_DIR, { recursive: true });
  for (const f of existingArtifacts()) {
    if (!artifacts.has(f.slice(0, -".json".length))) rmSync(join(OUT_DIR, f));
  }
  for (const [name, text] of artifacts) {
    writeFileSync(join(OUT_DIR, `${name}.json`), text);
  }
  console.log(`wrote ${artifacts.size} artifacts to out/: ${[...artifacts.keys()].join(", ")}`);
}

const solc = loadSolc();
const artifacts = compile(solc);
if (CHECK) {
  check(artifacts);
} else {
  write(artifacts);
}
