// gemma4's CPU backend against llama.cpp (through node-llama-cpp 3.21.1, its prebuilt CPU binary) on the same
// random-weight GGUF files and thread counts: prefill-512 and decode-128 tokens/s (medians of interleaved
// runs, each in a fresh process), their ratios, and each engine's peak RSS. Prints the machine first.
//
//   npm run bench:cpu [-- --shapes gemma3-1b,gemma4-e2b --mixes F16,Q8_0,Q4_0,Q4_K_M --threads 1,2 --reps 3
//                       --prefill 512 --decode 128 --dir /tmp/gemma4-bench]
//
// node-llama-cpp is not a dependency of the project: the first run installs the pinned version into
// bench/.deps (npm registry only). It runs with UV_THREADPOOL_SIZE=1 (Node's default pool of 4 threads
// oversubscribes small machines and costs llama.cpp up to 30% in decode).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { benchGguf } from "./bench-gguf.mjs";

const NODE_LLAMA_CPP = "3.21.1";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const depsDir = join(root, "bench", ".deps");

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const shapes = option("shapes", "gemma3-1b,gemma4-e2b").split(",");
const mixes = option("mixes", "F16,Q8_0,Q4_0,Q4_K_M").split(",");
const threadCounts = option("threads", "1,2").split(",").map(Number);
const reps = Number(option("reps", "3"));
const nPrefill = Number(option("prefill", "512"));
const nDecode = Number(option("decode", "128"));
const dir = option("dir", "/tmp/gemma4-bench");

function ensureNodeLlamaCpp() {
  const pkg = join(depsDir, "node_modules", "node-llama-cpp", "package.json");
  if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).version === NODE_LLAMA_CPP) return;
  mkdirSync(depsDir, { recursive: true });
  console.log(`installing node-llama-cpp@${NODE_LLAMA_CPP} into bench/.deps …`);
  execFileSync("npm", ["install", "--prefix", depsDir, "--no-save", "--no-audit", "--no-fund", "--omit=optional", "--ignore-scripts",
    `node-llama-cpp@${NODE_LLAMA_CPP}`, `@node-llama-cpp/${process.platform === "darwin" ? "mac" : process.platform}-${process.arch}@${NODE_LLAMA_CPP}`], { stdio: "inherit" });
}

function runOnce(engine, file, threads) {
  const args = [join(root, "bench", "cpu-bench-run.mjs"), engine, file, String(threads), String(nPrefill), String(nDecode), depsDir];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, UV_THREADPOOL_SIZE: "1" }, maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (r.status !== 0 || !line) throw new Error(`${engine} on ${file} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return JSON.parse(line);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function machine() {
  const cpu = cpus();
  let flags = "";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const f = info.match(/^flags\s*:(.*)$/m)?.[1] ?? "";
    flags = ["avx2", "avx512f", "avx512_vnni", "avx512_bf16", "f16c"].filter((x) => f.includes(` ${x}`)).join(" ");
  } catch {
    // not Linux
  }
  return `${cpu[0]?.model} × ${cpu.length} (${flags}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB (${(freemem() / 2 ** 30).toFixed(0)} free), load ${loadavg().map((l) => l.toFixed(1)).join(" ")}, Node ${process.version}`;
}

ensureNodeLlamaCpp();
console.log(`machine: ${machine()}`);
console.log(`llama.cpp: node-llama-cpp ${NODE_LLAMA_CPP} prebuilt CPU binary, UV_THREADPOOL_SIZE=1; both engines: f16 KV cache, greedy decoding`);
console.log(`each cell: median of ${reps} runs, ours and llama.cpp alternating, each run a fresh process (load, warm-up, prefill ${nPrefill}, decode ${nDecode})\n`);

const rows = [];
for (const shape of shapes) {
  for (const mix of mixes) {
    const file = benchGguf(dir, shape, mix, () => {});
    for (const threads of threadCounts) {
      const runs = { ours: [], llama: [] };
      for (let r = 0; r < reps; r++) {
        // Alternate which engine goes first, so drift in the machine's state favours neither.
        const order = r % 2 === 0 ? ["ours", "llama"] : ["llama", "ours"];
        for (const engine of order) runs[engine].push(runOnce(engine, file, threads));
      }
      const m = (engine, key) => median(runs[engine].map((x) => x[key]));
      const row = {
        model: `${shape} ${mix}`, threads,
        prefill: [m("ours", "prefillTps"), m("llama", "prefillTps")],
        decode: [m("ours", "decodeTps"), m("llama", "decodeTps")],
        rss: [m("ours", "maxRssMB"), m("llama", "maxRssMB")],
        sameToken: runs.ours.every((x, i) => x.lastToken === runs.llama[i]?.lastToken),
      };
      rows.push(row);
      console.log(`${row.model.padEnd(22)} ${threads}T  prefill ${row.prefill[0].toFixed(1)} / ${row.prefill[1].toFixed(1)} (${(row.prefill[0] / row.prefill[1]).toFixed(2)}×)  decode ${row.decode[0].toFixed(1)} / ${row.decode[1].toFixed(1)} (${(row.decode[0] / row.decode[1]).toFixed(2)}×)`);
    }
  }
}

console.log(`\n| model, weights | threads | prefill ${nPrefill} tok/s: gemma4 / llama.cpp (ratio) | decode ${nDecode} tok/s: gemma4 / llama.cpp (ratio) | peak RSS MiB: gemma4 / llama.cpp | last greedy token equal |`);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(`| ${r.model} | ${r.threads} | ${r.prefill[0].toFixed(1)} / ${r.prefill[1].toFixed(1)} (${(r.prefill[0] / r.prefill[1]).toFixed(2)}×) | ${r.decode[0].toFixed(1)} / ${r.decode[1].toFixed(1)} (${(r.decode[0] / r.decode[1]).toFixed(2)}×) | ${r.rss[0].toFixed(0)} / ${r.rss[1].toFixed(0)} | ${r.sameToken ? "yes" : "no"} |`);
}
console.log(`\nmachine at the end: ${machine()}`);
