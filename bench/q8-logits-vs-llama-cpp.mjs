#!/usr/bin/env node
// How close are our logits to llama.cpp's on the same Gemma-3-1B-shaped Q8_0 file? Writes (or reuses) the
// random-weight file of bench/bench-gguf.mjs, runs one prompt through our default CPU backend and through
// llama.cpp (node-llama-cpp 3.21.1, as bench/cpu-vs-llama-cpp.mjs installs it into bench/.deps), and reports
// at every prompt position the largest difference of the next-token log-probabilities (log-softmax removes
// the constant a logit vector may be shifted by; node-llama-cpp returns probabilities, not raw logits), the
// largest probability difference and whether the argmax agrees; then whether greedy decoding agrees for
// 32 steps. Both engines use an f16 KV cache and 8-bit activations against the Q8_0 weights.
//   npm run build && node bench/q8-logits-vs-llama-cpp.mjs [--mix Q8_0] [--steps 32] [--dir /tmp/gemma4-bench]
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { benchGguf } from "./bench-gguf.mjs";
import { createBackend } from "../dist/backends/create-backend.js";
import { GgufModel } from "../dist/formats/gguf/gguf-model.js";
import { GemmaDecoder } from "../dist/model/decoder.js";
import { KvCache } from "../dist/model/kv-cache.js";
import { loadModelWeights } from "../dist/model/model-weights.js";
import { Session } from "../dist/engine/session.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const mix = option("mix", "Q8_0");
const steps = Number(option("steps", "32"));
const dir = option("dir", "/tmp/gemma4-bench");
const nlcEntry = join(root, "bench", ".deps", "node_modules", "node-llama-cpp", "dist", "index.js");
if (!existsSync(nlcEntry)) {
  console.log("SKIPPED: node-llama-cpp is not in bench/.deps (run npm run bench:cpu once, it installs 3.21.1 there)");
  process.exit(0);
}
const file = benchGguf(dir, "gemma3-1b", mix, () => {});
// The same token ids for both engines, away from the special ones (as bench/cpu-bench-run.mjs uses).
const prompt = Array.from({ length: 24 }, (_, i) => 1000 + ((i * 7919) % 200000));

function logSoftmax(row) {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(row, (v) => v - lse);
}
const argmax = (row) => row.reduce((best, v, i) => (v > row[best] ? i : best), 0);

// Ours.
const backend = await createBackend("cpu", { threads: 2, kvDtype: "f16" });
const source = GgufModel.open(file);
const config = source.config;
const V = config.vocabSize;
const decoder = new GemmaDecoder(config, loadModelWeights(config, source, backend), backend);
source.close();
const ourLogits = await backend.read(decoder.forward(Int32Array.from(prompt), new KvCache(backend, config, { maxContext: 64, maxChunk: 64 }), { logits: "all" }));
const session = new Session(decoder, { maxContext: prompt.length + steps + 8, prefillChunk: 64 });
let last = await session.prefill(Int32Array.from(prompt));
const ourTokens = [];
for (let i = 0; i < steps; i++) {
  const t = argmax(last);
  ourTokens.push(t);
  if (i + 1 < steps) last = await session.step(t);
}
session.dispose();

// llama.cpp.
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(nlcEntry).href);
const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" });
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
const context = await model.createContext({ contextSize: 128, batchSize: 64, threads: 2, sequences: 1 });
const sequence = context.getSequence();
const results = await sequence.controlledEvaluate(prompt.map((t) => [t, { generateNext: { probabilities: true } }]));
await sequence.clearHistory();
const llamaTokens = [];
for await (const t of sequence.evaluate(prompt, { temperature: 0 })) {
  llamaTokens.push(t);
  if (llamaTokens.length >= steps) break;
}
await context.dispose();
await model.dispose();
await llama.dispose();

console.log(`machine: ${cpus()[0]?.model} × ${cpus().length}, Node ${process.version}; file ${file}`);
console.log(`ours: ${backend.variant} (${backend.kernels.kind}), f16 KV; llama.cpp: node-llama-cpp prebuilt CPU, f16 KV\n`);
let worstLogP = 0;
let worstP = 0;
let agree = 0;
results.forEach((r, pos) => {
  const ours = logSoftmax(ourLogits.subarray(pos * V, (pos + 1) * V));
  let dLogP = 0;
  let dP = 0;
  for (let i = 0; i < V; i++) {
    const p = r.next.probabilities.get(i) ?? 0;
    dP = Math.max(dP, Math.abs(Math.exp(ours[i]) - p));
    if (p > 1e-30) dLogP = Math.max(dLogP, Math.abs(ours[i] - Math.log(p)));
  }
  const same = argmax(ours) === r.next.probabilities.entries().next().value[0];
  if (same) agree++;
  worstLogP = Math.max(worstLogP, dLogP);
  worstP = Math.max(worstP, dP);
  console.log(`position ${String(pos).padStart(2)}: max |Δ log p| ${dLogP.toExponential(2)}, max |Δp| ${dP.toExponential(2)}, argmax ${same ? "agrees" : "differs"}`);
});
let firstDiff = ourTokens.findIndex((t, i) => t !== llamaTokens[i]);
console.log(`\n${mix}, ${prompt.length}-token prompt: max |Δ log p| ${worstLogP.toExponential(2)} (equal to max |Δ logit| up to each row's constant shift), max |Δp| ${worstP.toExponential(2)}, argmax agrees at ${agree}/${prompt.length} positions`);
console.log(`greedy ${steps} steps: ${firstDiff < 0 ? "identical" : `first difference at step ${firstDiff + 1}`}`);
console.log(`ours:      ${ourTokens.join(",")}`);
console.log(`llama.cpp: ${llamaTokens.join(",")}`);
