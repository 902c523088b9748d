#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node's built-in test runner.
// Arguments are substrings that select test files (e.g. `node scripts/run-tests.mjs safetensors`).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests("dist", []).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
if (!/^[1-9][0-9]*$/.test(concurrency)) {
  console.error(`TEST_CONCURRENCY=${JSON.stringify(concurrency)} is not a positive whole number`);
  process.exit(2);
}
// Test files run side by side: give each one its share of the cores (the CPU backend's threads spin briefly
// while they wait, so more threads than cores slow every file down). Tests of threading ask for their counts.
const env = { ...process.env };
env.GEMMA4_THREADS ??= String(Math.max(1, Math.floor(availableParallelism() / Number(concurrency))));
// No single test may hang the run: each gets at most 10 minutes.
const result = spawnSync(process.execPath, ["--test", `--test-concurrency=${concurrency}`, "--test-timeout=600000", ...files], { stdio: "inherit", env });
process.exit(result.status ?? 1);
