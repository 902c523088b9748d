#!/usr/bin/env node
// How close are our logits to llama.cpp's on the same Gemma-3-1B-shaped Q8_0 file? Writes (or reuses) the
// random-weight file of bench/bench-gguf.mjs, runs one prompt through our default CPU backend and through
// llama.cpp (node-llama-cpp 3.21.1, as bench/cpu-vs-llama-cpp.mjs installs it into bench/.deps), and reports
// at every prompt position the largest difference of the next-token log-probabilities (log-softmax removes
// the constant a logit vector may be shifted by; node-llama-cpp returns probabilities, not raw logits), the
// largest probability difference and whether the argmax agrees; then whether greedy decoding agrees for
// 32 steps. Both engines use an f16 KV cache and 8-bit activations against the Q8_0 weights; the reference
// backend on the dequantized weights (float32 throughout) is the exact value both are compared with.
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
import { ReferenceBackend } from "../dist/backends/reference/reference-backend.js";
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
const mapArgmax = (probabilities) => {
  let best = -1;
  let bestP = -1;
  for (const [token, p] of probabilities) if (p > bestP) { best = token; bestP = p; }
  return best;
};

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

// Exact: the reference backend on the dequantized weights, float32 activations and KV cache.
const exactSource = GgufModel.open(file, { quantized: "dequantize" });
const reference = new ReferenceBackend();
const exactDecoder = new GemmaDecoder(exactSource.config, loadModelWeights(exactSource.config, exactSource, reference), reference);
const exactLogits = await reference.read(exactDecoder.forward(Int32Array.from(prompt), new KvCache(reference, exactSource.config, { maxContext: 64, maxChunk: 64 }), { logits: "all" }));
exactSource.close();

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
const worst = { ours: 0, llama: 0, between: 0, spread: 0, p: 0 };
let agree = 0;
const exactAgree = { ours: 0, llama: 0 };
results.forEach((r, pos) => {
  const ours = logSoftmax(ourLogits.subarray(pos * V, (pos + 1) * V));
  const exact = logSoftmax(exactLogits.subarray(pos * V, (pos + 1) * V));
  const llamaLogP = Float64Array.from({ length: V }, (_, i) => Math.log(r.next.probabilities.get(i) ?? 0));
  const row = { ours: 0, llama: 0, between: 0, spread: 0, p: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < V; i++) {
    lo = Math.min(lo, exact[i]);
    hi = Math.max(hi, exact[i]);
    row.ours = Math.max(row.ours, Math.abs(ours[i] - exact[i]));
    row.p = Math.max(row.p, Math.abs(Math.exp(ours[i]) - Math.exp(llamaLogP[i])));
    if (!Number.isFinite(llamaLogP[i])) continue; // a probability node-llama-cpp did not return
    row.llama = Math.max(row.llama, Math.abs(llamaLogP[i] - exact[i]));
    row.between = Math.max(row.between, Math.abs(ours[i] - llamaLogP[i]));
  }
  row.spread = hi - lo;
  const same = argmax(ours) === mapArgmax(r.next.probabilities);
  if (same) agree++;
  if (argmax(ours) === argmax(exact)) exactAgree.ours++;
  if (mapArgmax(r.next.probabilities) === argmax(exact)) exactAgree.llama++;
  for (const k of Object.keys(worst)) worst[k] = Math.max(worst[k], row[k]);
  console.log(`position ${String(pos).padStart(2)}: max |Δ log p| ours–llama.cpp ${row.between.toExponential(2)}, ours–exact ${row.ours.toExponential(2)}, llama.cpp–exact ${row.llama.toExponential(2)} (log p spans ${row.spread.toFixed(2)}), max |Δp| ${row.p.toExponential(2)}, argmax ${same ? "agrees" : "differs"}`);
});
const firstDiff = ourTokens.findIndex((t, i) => t !== llamaTokens[i]);
console.log(`\n${mix}, ${prompt.length}-token prompt, max |Δ log p| (= max |Δ logit| up to each row's constant shift): ours vs llama.cpp ${worst.between.toExponential(2)}; against the exact float32 computation on the dequantized weights: ours ${worst.ours.toExponential(2)}, llama.cpp ${worst.llama.toExponential(2)}; max |Δp| ${worst.p.toExponential(2)}; argmax: ours = llama.cpp at ${agree}/${prompt.length} positions, ours = exact at ${exactAgree.ours}, llama.cpp = exact at ${exactAgree.llama} (the top probabilities of a random-weight model are near ties)`);
console.log(`greedy ${steps} steps: ${firstDiff < 0 ? "identical" : `first difference at step ${firstDiff + 1}`}`);
console.log(`ours:      ${ourTokens.join(",")}`);
console.log(`llama.cpp: ${llamaTokens.join(",")}`);
