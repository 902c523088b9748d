// Kernel throughput of the CPU backend: matrix-vector (decode) in GB/s of weights read, matrix-matrix
// (prefill) in GFLOP/s, for Gemma-3-1B-sized products. Minimum of repeated runs (robust to a busy machine).
// Matrix-vector products cycle through copies of the weight totalling at least 512 MB, so that each
// product reads its weight from memory as a decode step does (one matrix alone stays in L3 between runs).
// Usage: node bench/cpu-kernels.mjs [threads] [dtype,...] [variant]
import { CpuBackend } from "../dist/backends/cpu/cpu-backend.js";
import { loadNativeKernels } from "../dist/backends/cpu/native-kernels.js";
import { quantizeRow } from "../dist/formats/quant/quantize-row.js";
import { fromFloat32 } from "../dist/formats/dtype.js";
import { cpus } from "node:os";

const threads = Number(process.argv[2] ?? 2);
const dtypes = (process.argv[3] ?? "f16,q8_0,q4_0,q4_k,q6_k").split(",");
const variant = process.argv[4];
const kernels = loadNativeKernels();
const backend = new CpuBackend(kernels, { threads, ...(variant ? { variant } : {}) });
console.log(`${cpus()[0].model}, ${backend.variant}, ${backend.threads} threads`);

function weight(dtype, N, K) {
  const v = new Float32Array(N * K).map(() => Math.random() - 0.5);
  if (dtype === "f32" || dtype === "f16" || dtype === "bf16") return { dtype, shape: [N, K], data: fromFloat32(dtype, v) };
  // Quantize one row and repeat it (quantizing 8M values in JS is slow; the kernels do not care).
  const row = quantizeRow(dtype.toUpperCase(), v.subarray(0, K));
  const data = new Uint8Array(row.length * N);
  for (let n = 0; n < N; n++) data.set(row, n * row.length);
  return { dtype, shape: [N, K], data };
}

// With one thread, CPU time (not wall time) measures the kernel even on a machine shared with other work.
function time(fn, reps) {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    fn();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    best = Math.min(best, threads === 1 ? cpu : wall);
  }
  return best;
}

for (const dtype of dtypes) {
  for (const [N, K] of (process.env.SHAPES ? JSON.parse(process.env.SHAPES) : [[6912, 1152], [1152, 6912], [16384, 1152]])) {
    const host = weight(dtype, N, K);
    const bytes = host.data.byteLength;
    const w = backend.uploadWeight(host);
    const copies = Array.from({ length: Math.ceil(512e6 / bytes) }, () => backend.uploadWeight({ ...host, data: host.data.slice() }));
    const x1 = backend.fromHost(new Float32Array(K).map(() => Math.random()), [1, K]);
    let next = 0;
    const gemv = time(() => backend.tidy(() => { backend.matmul(x1, copies[next++ % copies.length]); }), 3 * copies.length);
    const T = 128;
    const xT = backend.fromHost(new Float32Array(T * K).map(() => Math.random()), [T, K]);
    const gemm = time(() => backend.tidy(() => { backend.matmul(xT, w); }), 5);
    console.log(`${dtype.padEnd(5)} [${N}x${K}] gemv ${(bytes / gemv / 1e9).toFixed(1).padStart(5)} GB/s (${(gemv * 1e3).toFixed(2)} ms)   gemm T=${T} ${(2 * N * K * T / gemm / 1e9).toFixed(0).padStart(4)} GFLOP/s`);
  }
}
