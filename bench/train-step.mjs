#!/usr/bin/env node
// Training speed, side by side in one process: the TypeScript and the WebAssembly SIMD matmul kernels on
// the default model's shapes (interleaved, fixed repetitions, medians), then one forward + backward of the
// default model on 4 × 256 tokens per thread. Prints the machine and its load; never gates anything.
// Usage: npm run build && node bench/train-step.mjs
import { cpus, loadavg } from "node:os";
import { readFileSync } from "node:fs";
import { gemmNTScalar } from "../dist/train/autograd/gemm.js";
import { simdGemm } from "../dist/train/kernels/simd-gemm.js";
import { parseHfConfig } from "../dist/formats/hf-config.js";
import { JsonFields } from "../dist/formats/json-fields.js";
import { randomInitSource } from "../dist/train/random-init.js";
import { TrainableModel, nextTokenExample } from "../dist/train/trainable-model.js";

console.log(`${cpus()[0]?.model} × ${cpus().length}, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const simd = simdGemm();
let sink = 0;
for (const [M, N, K] of [[1024, 128, 128], [1024, 512, 128], [1024, 128, 512], [1024, 4096, 128]]) {
  const A = Float32Array.from({ length: M * K }, () => Math.random() - 0.5);
  const B = Float32Array.from({ length: N * K }, () => Math.random() - 0.5);
  const C = new Float32Array(M * N);
  const times = { scalar: [], simd: [] };
  for (let rep = 0; rep < 5; rep++) {
    let t = performance.now(); gemmNTScalar(A, B, C, M, N, K, false); times.scalar.push(performance.now() - t); sink += C[0];
    t = performance.now(); simd.gemmNT(A, B, C, M, N, K, false); times.simd.push(performance.now() - t); sink += C[0];
  }
  const gflops = (ms) => ((2 * M * N * K) / (ms / 1000) / 1e9).toFixed(2);
  console.log(`gemm ${M}×${N}×${K}: TypeScript ${gflops(median(times.scalar))} GFLOP/s, SIMD ${gflops(median(times.simd))} GFLOP/s (×${(median(times.scalar) / median(times.simd)).toFixed(1)})`);
}
const raw = readFileSync("models/default/config.json", "utf8");
const { config } = parseHfConfig(JsonFields.parse("config.json", raw), null);
const model = TrainableModel.fromSource(config, randomInitSource(config, 1));
const examples = Array.from({ length: 4 }, (_, s) => nextTokenExample(Int32Array.from({ length: 257 }, (_, i) => (i * 7919 + s) % config.vocabSize)));
model.accumulateGradients(examples, 1024, 0, 4);
const steps = [];
for (let rep = 0; rep < 3; rep++) {
  const c = process.cpuUsage();
  model.accumulateGradients(examples, 1024, 0, 4);
  const u = process.cpuUsage(c);
  steps.push((u.user + u.system) / 1e6);
}
console.log(`default model forward + backward, 4 × 256 tokens: ${median(steps).toFixed(2)} CPU s → ${(1024 / median(steps)).toFixed(0)} tokens/s per thread (checksum ${sink.toFixed(3)})`);
