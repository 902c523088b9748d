/**
 * Checks of the WebGPU backend's own paths, beyond the shared conformance suite: weights split across
 * several storage bindings, the 256-thread matrix-vector and tiled kernels (the suite's small shapes take
 * the one-thread-per-output kernel), ggml Q8_0/Q4_0 blocks, greedy sampling on the device, a decode step
 * that creates no buffers in steady state, long recordings submitted in pieces, and a lost device turning into a DeviceError.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { DeviceError } from "../../errors.js";
import { SeededRandom } from "../../engine/rng.js";
import { fromFloat32 } from "../../formats/dtype.js";
import { maxAbsDiff } from "../../testing/fixtures.js";
import type { Backend, FloatWeightDtype, HostWeight, Tensor, Weight } from "../ops.js";
import { ReferenceBackend } from "../reference/reference-backend.js";
import { dequantizeRow, quantizeRow } from "../../formats/quant/quantize-row.js";
import type { BlockFormat } from "./ggml-blocks.js";
import { WebGpuBackend } from "./webgpu-backend.js";

const quantizeBlocks = (format: BlockFormat, values: Float32Array): Uint8Array => quantizeRow(format === "q8_0" ? "Q8_0" : "Q4_0", values);
const dequantizeBlocks = (format: BlockFormat, blocks: Uint8Array): Float32Array => dequantizeRow(format === "q8_0" ? "Q8_0" : "Q4_0", blocks);

function random(rng: SeededRandom, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.nextFloat() * 2 - 1) * scale);
}

async function expectClose(name: string, actual: Promise<Float32Array>, expected: Float32Array, tolerance: number): Promise<void> {
  const got = await actual;
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  const d = maxAbsDiff(got, expected);
  assert.ok(d <= tolerance * scale, `${name}: max |Δ| ${d.toExponential(2)} > ${tolerance} × ${scale.toFixed(2)}`);
}

export function runWebGpuExtras(makeBackend: () => WebGpuBackend): void {
  const ref = new ReferenceBackend();
  const rng = new SeededRandom(99);
  const readRef = (t: Tensor): Float32Array => ref.readSync(t);

  it("weights split across bindings; GPU kernels (256-thread matvec, tiled matmul) as well as the simple ones", async () => {
    // A second device with small weight chunks (every weight below spans several) and the kernels real
    // GPUs get; the shared backend runs the same shapes with its own choice (barrier-free on CPU adapters).
    const gpuKernels = await WebGpuBackend.create({ weightChunkBytes: 40000, simpleKernels: false });
    try {
      for (const backend of [makeBackend(), gpuKernels]) {
        const label = backend === gpuKernels ? "split, GPU kernels" : "shared backend";
        // The tiled kernel takes ~10 s to compile on llvmpipe: bf16 only (its weight loads use wAt, tested per dtype elsewhere).
        for (const dtype of ["f32", "bf16", "f16"] as FloatWeightDtype[]) {
          const shapes = dtype === "bf16" ? [[1, 520, 37], [1, 1024, 24], [5, 530, 70], [70, 512, 9]] : [[1, 520, 37], [1, 1024, 24]];
          for (const [T, inDim, outDim] of shapes as [number, number, number][]) {
            const w = { dtype, shape: [outDim, inDim], data: fromFloat32(dtype, random(rng, outDim * inDim)) };
            const x = random(rng, T * inDim);
            const expected = readRef(ref.matmul(ref.fromHost(x, [T, inDim]), ref.uploadWeight(w)));
            await expectClose(`matmul ${dtype} [${T},${inDim}]x[${outDim}] ${label}`, backend.read(backend.matmul(backend.fromHost(x, [T, inDim]), backend.uploadWeight(w))), expected, 5e-5);
          }
          const table = { dtype, shape: [1000, 24], data: fromFloat32(dtype, random(rng, 1000 * 24)) };
          const ids = Int32Array.of(999, 0, 517, 517, 5);
          await expectClose(`embed ${dtype} ${label}`, backend.read(backend.embed(backend.uploadWeight(table), ids, 2.5)), readRef(ref.embed(ref.uploadWeight(table), ids, 2.5)), 1e-6);
        }
        const E = 6, H = 104, Im = 48, T = 4;
        const gateUp = { dtype: "bf16" as const, shape: [E, 2 * Im, H], data: fromFloat32("bf16", random(rng, E * 2 * Im * H, 0.3)) };
        const down = { dtype: "bf16" as const, shape: [E, H, Im], data: fromFloat32("bf16", random(rng, E * H * Im, 0.3)) };
        const scale = { dtype: "f32" as const, shape: [E], data: random(rng, E) };
        const x = random(rng, T * H);
        const logits = random(rng, T * E, 3);
        const run = (b: Backend): Tensor => b.moe(b.fromHost(x, [T, H]), b.fromHost(logits, [T, E]), b.uploadWeight(scale), b.uploadWeight(gateUp), b.uploadWeight(down), { topK: 3, activation: "gelu_exact" });
        await expectClose(`moe ${label}`, backend.read(run(backend)), readRef(run(ref)), 2e-5);
      }
      assert.ok(gpuKernels.ctx.pipelineKeys.some((k) => k.startsWith("matmul-tiled")), "the tiled kernel ran");
      assert.ok(gpuKernels.ctx.pipelineKeys.some((k) => k.startsWith("matvec:")), "the 256-thread matvec ran");
    } finally {
      gpuKernels.dispose();
    }
  });

  it("matrix-vector kernel with 1–4 output rows per thread, plain and gated: every weight format, ragged rows, split weights", async () => {
    const gpu = await WebGpuBackend.create({ weightChunkBytes: 40000, simpleKernels: false });
    try {
      const formats = ["f32", "bf16", "f16", "q8_0", "q4_0"] as const;
      for (const rows of [1, 2, 3, 4]) {
        gpu.ctx.matvecRowsPerThread = rows;
        // Odd counts in both: each format once; all rows per thread on bf16 (float groups) and Q4_0.
        for (const format of rows % 2 === 1 ? formats : (["bf16", "q4_0"] as const)) {
          const quantized = format === "q8_0" || format === "q4_0";
          // 1026 is no multiple of a float format's group: the scalar loop.
          for (const [inDim, outDim] of (quantized ? [[544, 37], [1024, 6]] : [[544, 37], [1026, 7]]) as [number, number][]) {
            const values = random(rng, outDim * inDim);
            const shape = [outDim, inDim];
            let w: Weight;
            let host: HostWeight;
            if (format === "q8_0" || format === "q4_0") {
              const blocks = quantizeBlocks(format, values);
              w = gpu.uploadQuantizedWeight({ dtype: format, shape, data: blocks });
              host = { dtype: "f32", shape, data: dequantizeBlocks(format, blocks) };
            } else {
              host = { dtype: format, shape, data: fromFloat32(format, values) };
              w = gpu.uploadWeight(host);
            }
            const x = random(rng, inDim);
            const expected = readRef(ref.matmul(ref.fromHost(x, [1, inDim]), ref.uploadWeight(host)));
            await expectClose(`matvec ${format} [${inDim}]x[${outDim}], ${rows} rows per thread`, gpu.read(gpu.matmul(gpu.fromHost(x, [1, inDim]), w)), expected, 5e-5);
            // The gated pair (gate = this weight, up = its negation times 0.5): fused where both are one chunk.
            const upValues = values.map((v) => -0.5 * v);
            const upW = quantized
              ? gpu.uploadQuantizedWeight({ dtype: format, shape, data: quantizeBlocks(format, upValues) })
              : gpu.uploadWeight({ dtype: format, shape, data: fromFloat32(format, upValues) });
            const upHost: HostWeight = quantized ? { dtype: "f32", shape, data: dequantizeBlocks(format, quantizeBlocks(format, upValues)) } : { dtype: format, shape, data: fromFloat32(format, upValues) };
            const xr = ref.fromHost(x, [1, inDim]);
            const gatedExpected = readRef(ref.gatedActivation(ref.matmul(xr, ref.uploadWeight(host)), ref.matmul(xr, ref.uploadWeight(upHost)), "gelu_tanh"));
            await expectClose(`gated matvec ${format} [${inDim}]x[${outDim}], ${rows} rows per thread`, gpu.read(gpu.gatedMatmul(gpu.fromHost(x, [1, inDim]), w, upW, "gelu_tanh")), gatedExpected, 5e-5);
            // Several weights of one input width in one dispatch (q, k, v); the third has 3 more rows.
            const tallShape = [outDim + 3, inDim];
            const tallValues = random(rng, (outDim + 3) * inDim);
            const tallHost: HostWeight = quantized
              ? { dtype: "f32", shape: tallShape, data: dequantizeBlocks(format, quantizeBlocks(format, tallValues)) }
              : { dtype: format, shape: tallShape, data: fromFloat32(format, tallValues) };
            const tallW = quantized ? gpu.uploadQuantizedWeight({ dtype: format, shape: tallShape, data: quantizeBlocks(format, tallValues) }) : gpu.uploadWeight(tallHost);
            const expectedUp = readRef(ref.matmul(xr, ref.uploadWeight(upHost)));
            const expectedTall = readRef(ref.matmul(xr, ref.uploadWeight(tallHost)));
            const many = gpu.matmulEach(gpu.fromHost(x, [1, inDim]), rows === 2 ? [tallW, w] : [w, upW, tallW]);
            const manyExpected = rows === 2 ? [expectedTall, expected] : [expected, expectedUp, expectedTall];
            for (const [k, y] of many.entries()) await expectClose(`matmulEach ${format} [${inDim}]x[${outDim}] part ${k} of ${many.length}, ${rows} rows per thread`, gpu.read(y), manyExpected[k]!, 5e-5);
          }
        }
      }
      assert.ok(gpu.ctx.pipelineKeys.some((k) => k.startsWith("matvec:") && k.endsWith(":4")), "the 4-row kernel ran");
      assert.ok(gpu.ctx.pipelineKeys.some((k) => k.startsWith("matvec:") && k.endsWith(":4:gelu_tanh")), "the fused gated kernel ran");
      assert.ok(gpu.ctx.pipelineKeys.some((k) => k.endsWith(":many3")) && gpu.ctx.pipelineKeys.some((k) => k.endsWith(":many2")), "the multi-weight kernels ran");
    } finally {
      gpu.dispose();
    }
  });

  it("ggml blocks (formats/quant): Q8_0/Q4_0 matmul and embed match the dequantized reference", async () => {
    // Hand-checked blocks: Q8_0 of 0..31 has d = 31/127 and q = round(j·127/31); Q4_0 of −16..15 has
    // d = −16/−8 = 2 and nibble = trunc(x/2 + 8.5) capped at 15.
    const ramp = Float32Array.from({ length: 32 }, (_, j) => j);
    const q8 = quantizeBlocks("q8_0", ramp);
    assert.equal(q8.length, 34);
    assert.equal(new Int8Array(q8.buffer, 2, 32)[31], 127);
    assert.equal(new Int8Array(q8.buffer, 2, 32)[10], Math.round(10 * 127 / 31));
    const q4 = quantizeBlocks("q4_0", Float32Array.from({ length: 32 }, (_, j) => j - 16));
    assert.equal(q4.length, 18);
    assert.deepEqual(Array.from(dequantizeBlocks("q4_0", q4).subarray(0, 4)), [-16, -14, -14, -12]);
    const shared = makeBackend();
    const gpuKernels = await WebGpuBackend.create({ simpleKernels: false });
    for (const [backend, format] of [[shared, "q8_0"], [shared, "q4_0"], [gpuKernels, "q8_0"], [gpuKernels, "q4_0"]] as [WebGpuBackend, BlockFormat][]) {
      // GPU kernels: the matvec for both formats (32 threads per row at 1024, 256 at 32768), the tiled kernel
      // (slow to compile on llvmpipe) for Q4_0.
      const shapes = backend === shared || format === "q4_0" ? [[1, 64, 33], [1, 1024, 20], [3, 96, 17], [66, 544, 5]] : [[1, 1024, 20], [1, 32768, 3]];
      for (const [T, inDim, outDim] of shapes as [number, number, number][]) {
        const blocks = quantizeBlocks(format, random(rng, outDim * inDim));
        const dense = { dtype: "f32" as const, shape: [outDim, inDim], data: dequantizeBlocks(format, blocks) };
        const x = random(rng, T * inDim);
        const expected = readRef(ref.matmul(ref.fromHost(x, [T, inDim]), ref.uploadWeight(dense)));
        const w = backend.uploadQuantizedWeight({ dtype: format, shape: [outDim, inDim], data: blocks });
        await expectClose(`matmul ${format} [${T},${inDim}]x[${outDim}]`, backend.read(backend.matmul(backend.fromHost(x, [T, inDim]), w)), expected, 5e-5);
        const ids = Int32Array.of(outDim - 1, 0, 2);
        await expectClose(`embed ${format}`, backend.read(backend.embed(w, ids, 1.5)), readRef(ref.embed(ref.uploadWeight(dense), ids, 1.5)), 1e-6);
      }
    }
    gpuKernels.dispose();
  });

  it("addNorm's cases the decoder never fuses: a next norm of form none, a quantized next norm weight", async () => {
    const gpu = makeBackend();
    const dim = 64;
    const shape = [3, dim];
    const res = random(rng, 3 * dim, 2);
    const x = random(rng, 3 * dim, 3);
    const wHost: HostWeight = { dtype: "f32", shape: [dim], data: random(rng, dim) };
    const scalar: HostWeight = { dtype: "f32", shape: [1], data: Float32Array.of(0.37) };
    for (const form of ["none", "one-plus"] as const) {
      for (const quantized of [false, true]) {
        const nextValues = random(rng, dim);
        const blocks = quantizeBlocks("q8_0", nextValues);
        const nextHost: HostWeight = { dtype: "f32", shape: [dim], data: quantized ? dequantizeBlocks("q8_0", blocks) : nextValues };
        const nextGpu = quantized ? gpu.uploadQuantizedWeight({ dtype: "q8_0", shape: [dim], data: blocks }) : gpu.uploadWeight(nextHost);
        const [sum, normed] = gpu.addNorm(gpu.fromHost(res, shape), gpu.fromHost(x, shape), gpu.uploadWeight(wHost), form, 1e-6, dim, gpu.uploadWeight(scalar), nextGpu);
        const refSum = ref.scaleByWeight(ref.add(ref.fromHost(res, shape), ref.rmsNorm(ref.fromHost(x, shape), ref.uploadWeight(wHost), form, 1e-6, dim)), ref.uploadWeight(scalar));
        const label = `addNorm ${form}${quantized ? ", Q8_0 next weight" : ""}`;
        await expectClose(`${label}: sum`, gpu.read(sum), readRef(refSum), 2e-5);
        assert.ok(normed, `${label}: the next norm's output`);
        await expectClose(`${label}: normed`, gpu.read(normed), readRef(ref.rmsNorm(refSum, ref.uploadWeight(nextHost), form, 1e-6, dim)), 2e-5);
      }
    }
  });

  it("greedy sampling on the device: argmax (ties to the lower index) and log-probability", async () => {
    const backend = makeBackend();
    const V = 1000;
    const logits = random(rng, 3 * V, 5);
    logits[V + 10] = 9;
    logits[V + 700] = 9; // a tie in row 1
    const { ids, logprobs } = await backend.sampleGreedy(backend.fromHost(logits, [3, V]));
    for (let r = 0; r < 3; r++) {
      const row = logits.subarray(r * V, (r + 1) * V);
      let best = 0;
      for (let i = 1; i < V; i++) if (row[i]! > row[best]!) best = i;
      let sum = 0;
      for (const v of row) sum += Math.exp(v - row[best]!);
      assert.equal(ids[r], best, `row ${r}`);
      assert.ok(Math.abs(logprobs[r]! + Math.log(sum)) < 1e-5, `row ${r} logprob ${logprobs[r]} vs ${-Math.log(sum)}`);
    }
    assert.equal(ids[1], 10);
  });

  it("top-k on the device declines when more logits tie near the k-th than it returns", async () => {
    const backend = makeBackend();
    // More equal logits than candidates can come back: the caller is told to read the row.
    assert.equal(await backend.topLogits(backend.fromHost(new Float32Array(5000).fill(1.5), [1, 5000]), 10), null);
  });

  it("a small decode step in steady state creates no buffers and submits once", async () => {
    const backend = makeBackend();
    const H = 64;
    const w = backend.uploadWeight({ dtype: "bf16", shape: [H, H], data: fromFloat32("bf16", random(rng, H * H)) });
    const store = backend.createKvStore(1, H, 64);
    const step = async (pos: number): Promise<void> => {
      const out = backend.tidy(() => {
        const x = backend.embed(w, Int32Array.of(pos % H), 1);
        const k = backend.matmul(x, w);
        backend.writeKv(store, k, k, Int32Array.of(pos), Int32Array.of(pos));
        const a = backend.attention(backend.rope(k, Int32Array.of(pos), new Float32Array(H / 2).fill(0.01), H), store, Int32Array.of(pos),
          { numHeads: 1, numKvHeads: 1, headDim: H, scale: 0.1, softcap: null, window: null });
        return backend.matmul(backend.rmsNorm(a, null, "none", 1e-6, H), w);
      });
      await backend.sampleGreedy(out);
      backend.release(out);
    };
    for (let pos = 0; pos < 20; pos++) await step(pos); // the store grows to 32 slots here
    const before = { ...backend.ctx.stats };
    for (let pos = 20; pos < 30; pos++) await step(pos);
    assert.equal(backend.ctx.stats.buffersCreated - before.buffersCreated, 0, "buffers created per step");
    assert.equal(backend.ctx.stats.submits - before.submits, 10, "one submit per step");
    assert.equal(backend.ctx.stats.bindGroupsCreated - before.bindGroupsCreated, 0, "bind groups created per step");
  });

  it("a long recording is submitted in pieces and every piece sees its own uploaded parameters", async () => {
    const backend = makeBackend();
    const before = backend.ctx.stats.submits;
    const x0 = random(rng, 40);
    const factors = Array.from({ length: 300 }, (_, i) => 1 + ((i % 7) - 3) / 100);
    let expected = Float32Array.from(x0);
    for (const f of factors) expected = expected.map((v) => Math.fround(v * Math.fround(f)));
    const out = backend.tidy(() => factors.reduce((x, f) => backend.scale(x, f), backend.fromHost(x0, [1, 40])));
    await expectClose("300 chained scales", backend.read(out), expected, 1e-6);
    backend.release(out);
    assert.ok(backend.ctx.stats.submits - before >= 3, `${backend.ctx.stats.submits - before} submits for 300 dispatches`);
  });

  it("a lost device gives a DeviceError, not a hang", async () => {
    const backend = await WebGpuBackend.create();
    const x = backend.fromHost(new Float32Array(8), [2, 4]);
    backend.ctx.device.destroy();
    await assert.rejects(async () => backend.read(backend.scale(x, 2)), DeviceError);
  });
}
