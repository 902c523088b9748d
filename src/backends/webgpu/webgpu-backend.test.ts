/**
 * The WebGPU backend against the reference: the shared conformance suite (every op on ragged shapes, every
 * HF fixture end to end) plus this backend's own paths (weights split across bindings, Q8_0/Q4_0 blocks,
 * greedy sampling on the device). Runs on any adapter, including Mesa's llvmpipe on CPU-only machines;
 * without one it skips loudly, or fails when GEMMA4_REQUIRE_WEBGPU=1 (CI).
 */
import { after, describe, test } from "node:test";
import { runAttentionConformance, runBackendConformance, runFixtureConformance, runTopLogitsConformance } from "../conformance.js";
import { WebGpuBackend } from "./webgpu-backend.js";
import { runWebGpuExtras } from "./webgpu-extras.js";

const required = process.env.GEMMA4_REQUIRE_WEBGPU === "1";
let backend: WebGpuBackend | null = null;
let why = "";
try {
  backend = await WebGpuBackend.create();
} catch (e) {
  why = e instanceof Error ? e.message : String(e);
}

if (!backend) {
  test("webgpu backend", (t) => {
    if (required) throw new Error(`GEMMA4_REQUIRE_WEBGPU=1 but no WebGPU device: ${why}`);
    console.warn(`\n*** SKIPPING the WebGPU tests: ${why} (set GEMMA4_REQUIRE_WEBGPU=1 to make this a failure) ***\n`);
    t.skip(`no WebGPU adapter: ${why}`);
  });
} else {
  const gpu = backend;
  const a = gpu.adapter;
  console.log(`webgpu adapter: ${a.vendor} ${a.architecture} ${a.device} (${a.description}) via ${a.runtime}`);
  after(() => {
    console.log(`webgpu: ${gpu.ctx.pipelineKeys.length} pipelines compiled; ${JSON.stringify(gpu.ctx.stats)}`);
    gpu.dispose();
  });
  // Tolerances: ops sum in float32 on the GPU where the reference sums in double; over the longest sums
  // in the suite (96 products, 100 attention slots) that differs by a few float32 ulps of the scale.
  runBackendConformance("webgpu", () => gpu, { opTolerance: 2e-5, fixtureTolerance: 1e-3 });
  // A CPU adapter runs the simple kernels above; the kernels a GPU gets are checked here too.
  if (gpu.ctx.simpleKernels) {
    let gpuKernels: Promise<WebGpuBackend> | null = null;
    after(async () => (await gpuKernels)?.dispose());
    const makeGpuKernels = (): Promise<WebGpuBackend> => (gpuKernels ??= WebGpuBackend.create({ simpleKernels: false }));
    runAttentionConformance("webgpu, GPU kernels", makeGpuKernels, { opTolerance: 2e-5, fixtureTolerance: 1e-3 });
    runFixtureConformance("webgpu, GPU kernels", makeGpuKernels, { opTolerance: 2e-5, fixtureTolerance: 1e-3 });
  }
  describe("webgpu: the samplers' top-k on the device", () => runTopLogitsConformance("webgpu", () => gpu));
  describe("webgpu: its own paths", () => runWebGpuExtras(() => gpu));
}
