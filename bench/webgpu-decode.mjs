#!/usr/bin/env node
// WebGPU decode and prefill throughput of a Gemma 4 dense text model with random weights (issue 6).
//
//   npm run build && node bench/webgpu-decode.mjs            # the issue's 7.4B shape (needs ~16 GB of GPU memory)
//   node bench/webgpu-decode.mjs --tiny                      # a small shape: smoke test (llvmpipe is fine)
//   options: --dtypes bf16,q8_0,q4_0  --prompt 128  --steps 64  --prefill 2048  --no-prefill  --layers 32  --hidden 512
//            --vocab 262144 (another vocabulary size for the tiny shape)
//            --matvec-rows default,1,2,4 (decode timed with each matrix-vector rows-per-thread choice; the
//            first one is used for everything else)
//            --gpu-kernels (use the kernels a real GPU gets even on a CPU adapter, to smoke-test them)
//            --engine bf16 (dtypes also timed through the engine's decode loop, generateTokens: greedy, top-k 64
//            sampling chosen on the device, and the same sampling reading whole rows; default: the first dtype)
//            --profile (GPU time per kernel from timestamp queries, for 4 decode steps and one prefill; each
//            dispatch then runs in its own pass. GEMMA4_DAWN_FLAGS="disable-dawn-features=timestamp_quantization"
//            keeps Dawn from rounding the timestamps)
//
// Per weight dtype, in one process: load random weights (bf16, or ggml Q8_0 / Q4_0 blocks for every
// matrix; norms stay bf16), prefill a --prompt-token prompt, then time --steps greedy decode steps (one
// forward + argmax on the GPU + one 8-byte readback each), and a --prefill-token prefill in one chunk.
// Bandwidth: weight bytes a decode step reads ÷ step time, beside a device-to-device copy measured in the
// same run (bytes read + bytes written; the faster of the queue's buffer copy and a compute-shader copy).
// Medians over the steps; the machine is printed.
import { cpus, loadavg, totalmem } from "node:os";
import { WebGpuBackend } from "../dist/backends/webgpu/webgpu-backend.js";
import { parseHfConfig } from "../dist/formats/hf-config.js";
import { JsonFields } from "../dist/formats/json-fields.js";
import { GemmaDecoder } from "../dist/model/decoder.js";
import { loadModelWeights } from "../dist/model/model-weights.js";
import { weightSpecs } from "../dist/model/weight-table.js";
import { Session } from "../dist/engine/session.js";
import { generateTokens } from "../dist/engine/generate.js";
import { KvCache } from "../dist/model/kv-cache.js";
import { f32ToBf16, f32ToF16 } from "../dist/formats/dtype.js";

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const tiny = args.includes("--tiny");
const dtypes = flag("dtypes", "bf16,q8_0,q4_0").split(",");
const promptLen = Number(flag("prompt", tiny ? 16 : 128));
const steps = Number(flag("steps", tiny ? 8 : 64));
const prefillLen = args.includes("--no-prefill") ? 0 : Number(flag("prefill", tiny ? 64 : 2048));
const WARMUP = tiny ? 2 : 8;
const profiling = args.includes("--profile");
// Dtypes whose decode is also timed through the engine's decode loop (default: the first).
const engineRuns = flag("engine", dtypes[0]).split(",");
// Matrix-vector rows per thread to compare ("default" = each format's own choice), decode only.
const matvecRows = flag("matvec-rows", "default").split(",").map((r) => {
  if (r === "default") return null;
  const rows = Number(r);
  if (!(Number.isInteger(rows) && rows >= 1 && rows <= 4)) throw new RangeError(`--matvec-rows takes "default" or 1-4, not ${r}`);
  return rows;
});

// The issue's shape: hidden 3584, 32 layers (5 sliding : 1 full), 16 heads, 8 kv heads, head_dim 256;
// full layers head_dim 512 with 4 kv heads and k = v; intermediate 14336; vocab 262144; window 1024.
const shape = tiny
  ? { hidden: 256, layers: 6, heads: 4, kvHeads: 2, headDim: 64, globalHeadDim: 128, globalKvHeads: 1, inter: 512, vocab: 4096, window: 32 }
  : { hidden: 3584, layers: 32, heads: 16, kvHeads: 8, headDim: 256, globalHeadDim: 512, globalKvHeads: 4, inter: 14336, vocab: 262144, window: 1024 };
// --layers N: another depth (e.g. the tiny shape at the full model's 32 layers, to count its dispatches and
// time JS recording without the memory the full shape needs).
// --hidden N: another width for the tiny shape (512 and up reach the matrix-vector kernels GPUs use).
if (flag("hidden")) {
  shape.hidden = Number(flag("hidden"));
  if (!(Number.isInteger(shape.hidden) && shape.hidden >= 32 && shape.hidden % 32 === 0)) throw new RangeError(`--hidden must be a multiple of 32, not ${flag("hidden")}`);
}
if (flag("vocab")) {
  shape.vocab = Number(flag("vocab"));
  if (!(Number.isInteger(shape.vocab) && shape.vocab >= 256)) throw new RangeError(`--vocab must be an integer ≥ 256, not ${flag("vocab")}`);
}
if (flag("layers")) {
  shape.layers = Number(flag("layers"));
  if (!(Number.isInteger(shape.layers) && shape.layers >= 1)) throw new RangeError(`--layers must be a positive integer, not ${flag("layers")}`);
}

const configJson = {
  architectures: ["Gemma4ForCausalLM"], model_type: "gemma4_text",
  hidden_size: shape.hidden, num_hidden_layers: shape.layers, num_attention_heads: shape.heads,
  num_key_value_heads: shape.kvHeads, head_dim: shape.headDim, global_head_dim: shape.globalHeadDim,
  num_global_key_value_heads: shape.globalKvHeads, attention_k_eq_v: true, intermediate_size: shape.inter,
  vocab_size: shape.vocab, sliding_window: shape.window, hidden_size_per_layer_input: 0, enable_moe_block: false,
  layer_types: Array.from({ length: shape.layers }, (_, i) => (i % 6 === 5 ? "full_attention" : "sliding_attention")),
  hidden_activation: "gelu_pytorch_tanh", final_logit_softcapping: 30.0, rms_norm_eps: 1e-6, tie_word_embeddings: true,
  max_position_embeddings: 131072, num_kv_shared_layers: 0,
  rope_parameters: {
    full_attention: { partial_rotary_factor: 0.25, rope_theta: 1000000.0, rope_type: "proportional" },
    sliding_attention: { rope_theta: 10000.0, rope_type: "default" },
  },
};
const { config } = parseHfConfig(JsonFields.parse("bench-config.json", JSON.stringify(configJson)), null);

// ---- random weights -------------------------------------------------------------------------------------
let seed = 0x9e3779b9;
const nextU32 = () => {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed;
};
const POOL = 1 << 22;
const bf16Pool = Uint16Array.from({ length: POOL }, () => f32ToBf16(((nextU32() / 2 ** 32) * 2 - 1) * 0.03));
const blockPools = {};
for (const [format, bytes] of [["q8_0", 34], ["q4_0", 18]]) {
  const blocks = new Uint8Array((POOL / 32) * bytes);
  for (let i = 0; i < blocks.length; i++) blocks[i] = nextU32() & 0xff;
  const scale = f32ToF16(format === "q8_0" ? 0.03 / 127 : 0.03 / 8);
  for (let b = 0; b < POOL / 32; b++) { blocks[b * bytes] = scale & 0xff; blocks[b * bytes + 1] = scale >> 8; }
  blockPools[format] = blocks;
}
const tile = (pool, n, Ctor) => {
  const out = new Ctor(n);
  for (let o = 0; o < n; o += pool.length) out.set(pool.subarray(0, Math.min(pool.length, n - o)), o);
  return out;
};

/** A TensorSource whose tensors are placeholders: the wrapped backend below makes the real random data. */
function randomSource() {
  const specs = weightSpecs(config);
  const byName = new Map(specs.map((s) => ["model." + s.name, s]));
  return {
    dir: "random weights", tensorNames: [...byName.keys()], fileBytes: 0,
    has: (n) => byName.has(n), pathOf: (n) => n, close() {},
    info: (n) => ({ name: n, dtype: "bf16", shape: byName.get(n).shape, fileOffset: 0, byteLength: 0 }),
    read: (n) => ({ dtype: "bf16", shape: byName.get(n).shape, data: new Uint16Array(0) }),
  };
}

function uploadRandom(backend, dtype, shape, counter) {
  const n = shape.reduce((a, b) => a * b, 1);
  const matrix = shape.length === 2 && shape[1] % 32 === 0;
  if (matrix && dtype !== "bf16") {
    const bytes = dtype === "q8_0" ? 34 : 18;
    counter.bytes += (n / 32) * bytes;
    return backend.uploadQuantizedWeight({ dtype, shape, data: tile(blockPools[dtype], (n / 32) * bytes, Uint8Array) });
  }
  if (!matrix) {
    // Norm weights and layer scalars: near 1 so activations keep their scale.
    return backend.uploadWeight({ dtype: "bf16", shape, data: new Uint16Array(n).fill(f32ToBf16(shape.length === 1 && n === 1 ? 1 : 0.9)) });
  }
  counter.bytes += n * 2;
  return backend.uploadWeight({ dtype: "bf16", shape, data: tile(bf16Pool, n, Uint16Array) });
}

// ---- measurements ---------------------------------------------------------------------------------------
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** GPU milliseconds per run (of `runs`) by kernel, largest first, with the total. */
function profileRows(byPipeline, runs) {
  const rows = [...byPipeline].map(([kernel, { count, ns }]) => ({ kernel, dispatches: count / runs, ms: ns / 1e6 / runs })).sort((a, b) => b.ms - a.ms);
  return { totalMs: rows.reduce((a, r) => a + r.ms, 0), rows };
}
const printProfile = (what, p) => {
  if (!p) return;
  console.log(`  ${what}: GPU time ${p.totalMs.toFixed(2)} ms in all; by kernel:`);
  for (const r of p.rows.slice(0, 12)) console.log(`    ${r.ms.toFixed(3).padStart(9)} ms  ${String(r.dispatches).padStart(5)}×  ${r.kernel}`);
};

const SHADER_COPY_WGSL = `
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * 256u;
  for (var i = gid.x; i < arrayLength(&src); i += stride) { dst[i] = src[i]; }
}`;

/** Device-to-device copy bandwidth (bytes read + written per second), two ways: the queue's buffer copy,
 *  and a compute shader that copies vec4s (what our kernels can reach); the faster is the roof. */
async function copyBandwidth(backend) {
  const device = backend.ctx.device;
  const bytes = Math.min(tiny ? 64 << 20 : 1 << 30, backend.ctx.maxBindingBytes) & ~15;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const a = device.createBuffer({ size: bytes, usage });
  const b = device.createBuffer({ size: bytes, usage });
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code: SHADER_COPY_WGSL }), entryPoint: "main" } });
  const groups = [a, b].map((src, i) => device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: i ? a : b } }] }));
  const reps = 10;
  const measure = async (record) => {
    const times = [];
    for (let trial = 0; trial < 4; trial++) {
      const encoder = device.createCommandEncoder();
      record(encoder);
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      times.push(performance.now() - t0);
    }
    return (2 * bytes * reps) / (median(times.slice(1)) / 1000);
  };
  const queueCopy = await measure((encoder) => {
    for (let i = 0; i < reps; i++) encoder.copyBufferToBuffer(i % 2 ? b : a, 0, i % 2 ? a : b, 0, bytes);
  });
  const shaderCopy = await measure((encoder) => {
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    for (let i = 0; i < reps; i++) {
      pass.setBindGroup(0, groups[i % 2]);
      pass.dispatchWorkgroups(Math.min(8192, Math.ceil(bytes / 16 / 256)));
    }
    pass.end();
  });
  a.destroy();
  b.destroy();
  return { queueCopy, shaderCopy, best: Math.max(queueCopy, shaderCopy) };
}

async function runDtype(backend, dtype, copyBw) {
  const counter = { bytes: 0 };
  const wrapped = Object.create(backend);
  wrapped.uploadWeight = (w) => uploadRandom(backend, dtype, w.shape, counter);
  const t0 = performance.now();
  const weights = loadModelWeights(config, randomSource(), wrapped);
  await backend.finish();
  const loadS = (performance.now() - t0) / 1000;
  const decoder = new GemmaDecoder(config, weights, backend);
  // Bytes one decode step reads: every matrix once (the tied embedding as the output head; its lookup is one row).
  const stepBytes = counter.bytes;

  // One decode measurement: a fresh cache, the prompt, WARMUP + steps greedy steps.
  const timeDecode = async (withProfile) => {
    const maxContext = promptLen + WARMUP + steps + 8; // + the profiled steps
    const cache = new KvCache(backend, config, { maxContext, maxChunk: promptLen });
    const prompt = Int32Array.from({ length: promptLen }, (_, i) => (i * 7919) % shape.vocab);
    const first = backend.tidy(() => decoder.forward(prompt, cache, { logits: "last" }));
    let token = (await backend.sampleGreedy(first)).ids[0];
    backend.release(first);
    const times = [];
    const recordTimes = [];
    let dispatches0 = 0;
    const step = async () => {
      const s0 = performance.now();
      const logits = decoder.forward(Int32Array.of(token), cache, { logits: "last" });
      const s1 = performance.now();
      token = (await backend.sampleGreedy(logits)).ids[0];
      backend.release(logits);
      return [performance.now() - s0, s1 - s0];
    };
    for (let i = 0; i < WARMUP + steps; i++) {
      if (i === WARMUP) dispatches0 = backend.ctx.stats.dispatches;
      const [total, record] = await step();
      if (i >= WARMUP) { times.push(total); recordTimes.push(record); }
    }
    const dispatchesPerStep = (backend.ctx.stats.dispatches - dispatches0) / steps;
    let decodeProfile = null;
    if (withProfile && backend.ctx.startProfile()) {
      const PROFILED = 4; // within maxContext
      for (let i = 0; i < PROFILED; i++) await step();
      decodeProfile = profileRows(await backend.ctx.stopProfile(), PROFILED);
    }
    cache.dispose();
    const stepMs = median(times);
    return { stepMs, tokS: 1000 / stepMs, recordMs: median(recordTimes), dispatchesPerStep, p10: [...times].sort((a, b) => a - b)[Math.floor(times.length / 10)], decodeProfile };
  };
  // The product's decode loop (generateTokens, as `gemma4 run` and the server use it): greedy and top-k
  // sampling choose on the device (a few candidates come back per step); a no-op logits processor forces
  // the whole-row path (the vocabulary read back, sampled on the host), for comparison.
  const timeEngine = async (options) => {
    const session = new Session(decoder, { maxContext: promptLen + WARMUP + steps + 1, prefillChunk: promptLen });
    const prompt = Int32Array.from({ length: promptLen }, (_, i) => (i * 7919) % shape.vocab);
    const gaps = [];
    let last = 0;
    let n = 0;
    for await (const _token of generateTokens(session, prompt, [], { maxNewTokens: WARMUP + steps, ...options })) {
      const now = performance.now();
      if (n++ > WARMUP) gaps.push(now - last);
      last = now;
    }
    session.dispose();
    return 1000 / median(gaps);
  };
  const engine = engineRuns.includes(dtype)
    ? {
      greedy: await timeEngine({ greedy: true }),
      topK: await timeEngine({ temperature: 1, topK: 64, seed: 1 }),
      wholeRows: await timeEngine({ temperature: 1, topK: 64, seed: 1, logitsProcessors: [() => {}] }),
    }
    : null;

  const variants = [];
  for (const rows of matvecRows) {
    backend.ctx.matvecRowsPerThread = rows;
    variants.push({ rows: rows ?? "default", ...(await timeDecode(profiling && variants.length === 0)) });
  }
  backend.ctx.matvecRowsPerThread = matvecRows[0];
  const { stepMs, tokS, recordMs, dispatchesPerStep, p10, decodeProfile } = variants[0];
  const bw = stepBytes / (stepMs / 1000);

  let prefill = null;
  let prefillProfile = null;
  if (prefillLen > 0) {
    const ids = Int32Array.from({ length: prefillLen }, (_, i) => (i * 104729) % shape.vocab);
    const runs = [];
    for (let r = 0; r < 2; r++) { // the first run compiles the prefill kernels
      const session = new Session(decoder, { maxContext: prefillLen, prefillChunk: prefillLen });
      const p0 = performance.now();
      await session.prefill(ids);
      runs.push(performance.now() - p0);
      session.dispose();
    }
    prefill = prefillLen / (runs[1] / 1000);
    if (profiling && backend.ctx.startProfile()) {
      const session = new Session(decoder, { maxContext: prefillLen, prefillChunk: prefillLen });
      await session.prefill(ids);
      session.dispose();
      prefillProfile = profileRows(await backend.ctx.stopProfile(), 1);
    }
  }
  for (const w of new Set(Object.values(weights).flatMap(function flat(v) { return v && typeof v === "object" ? ("dtype" in v ? [v] : Object.values(v).flatMap(flat)) : []; }))) backend.release(w);
  await backend.finish();
  return { dtype, loadS, stepBytes, stepMs, recordMs, dispatchesPerStep, p10, tokS, bw, share: bw / copyBw, prefill, decodeProfile, prefillProfile, variants, engine };
}

const backend = await WebGpuBackend.create({ ...(args.includes("--gpu-kernels") ? { simpleKernels: false } : {}), profiling });
const a = backend.adapter;
console.log(`# webgpu-decode ${tiny ? "(tiny shape: smoke test, timings meaningless)" : "(issue 6 shape)"}`);
console.log(`adapter: ${a.vendor} / ${a.architecture} / ${a.device} / ${a.description} via ${a.runtime}; features: ${a.features.join(" ")}`);
console.log(`host: node ${process.version}, ${cpus()[0]?.model ?? "?"} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log(`kernels: ${backend.ctx.simpleKernels ? "simple (CPU adapter)" : "GPU (matvec + tiled matmul)"}`);
console.log(`model: ${JSON.stringify(shape)}; prompt ${promptLen}, ${steps} decode steps (+${WARMUP} warmup), prefill ${prefillLen}`);
const copy = await copyBandwidth(backend);
const copyBw = copy.best;
console.log(`device-to-device copy (read + write): queue copy ${(copy.queueCopy / 1e9).toFixed(1)} GB/s, compute-shader copy ${(copy.shaderCopy / 1e9).toFixed(1)} GB/s; shares below are of the faster`);
const results = [];
for (const dtype of dtypes) {
  const r = await runDtype(backend, dtype, copyBw);
  results.push(r);
  console.log(`${dtype}: loaded in ${r.loadS.toFixed(1)} s; ${(r.stepBytes / 1e9).toFixed(2)} GB/step; decode ${r.tokS.toFixed(1)} tok/s (median ${r.stepMs.toFixed(2)} ms, p10 ${r.p10.toFixed(2)} ms), ` +
    `${(r.bw / 1e9).toFixed(0)} GB/s = ${(100 * r.share).toFixed(0)}% of copy` + (r.prefill ? `; prefill ${prefillLen}: ${r.prefill.toFixed(0)} tok/s (${(r.prefill / 22700).toFixed(3)}× transformers' 22,700)` : ""));
  console.log(`  decode step: ${r.dispatchesPerStep} dispatches, recorded by JS in ${r.recordMs.toFixed(2)} ms (median) of the ${r.stepMs.toFixed(2)} ms step`);
  if (r.variants.length > 1) {
    console.log(`  matrix-vector rows per thread: ${r.variants.map((v) => `${v.rows}: ${v.tokS.toFixed(1)} tok/s (${(r.stepBytes / (v.stepMs / 1e3) / 1e9).toFixed(0)} GB/s)`).join(", ")}`);
  }
  if (r.engine) {
    console.log(`  through generateTokens: greedy ${r.engine.greedy.toFixed(1)} tok/s, top-k 64 sampling ${r.engine.topK.toFixed(1)} tok/s; ` +
      `the same sampling reading whole rows of logits ${r.engine.wholeRows.toFixed(1)} tok/s`);
  }
  printProfile("decode step", r.decodeProfile);
  printProfile(`prefill ${prefillLen}`, r.prefillProfile);
}
const base = results.find((r) => r.dtype === "bf16");
if (base) for (const r of results) if (r !== base) console.log(`${r.dtype} / bf16 decode: ${(r.tokS / base.tokS).toFixed(2)}× (target ${r.dtype === "q8_0" ? "2" : "3.5"}×)`);
console.log(JSON.stringify({ adapter: a, copyBytesPerS: copy, results }));
backend.dispose();
