/**
 * Greedy sampling on the device: per row of logits, the index of the largest value (ties to the lower
 * index, as the host sampler) and its log-probability −log Σ exp(x − max), so a decode step reads back
 * 8 bytes per row instead of the whole vocabulary.
 */
import { FLAT_WORKGROUP, type GpuContext } from "./gpu-context.js";
import type { GpuTensor } from "./gpu-tensors.js";
import { bindTensor, newTensor, releaseTensor } from "./tensor-alloc.js";

const THREADS = 256;

const ARGMAX_WGSL = `
struct Params { rows: u32, V: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Out: array<u32>;  // [rows] ids, then [rows] logprob bits
var<workgroup> bestV: array<f32, ${THREADS}>;
var<workgroup> bestI: array<u32, ${THREADS}>;
var<workgroup> sums: array<f32, ${THREADS}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = ${FLAT_WORKGROUP};
  let valid = row < P.rows;
  let base = row * P.V;
  var bv = -3.4e38;
  var bi = 0xffffffffu;
  if (valid) {
    for (var i = lid.x; i < P.V; i += ${THREADS}u) {
      let v = X[base + i];
      if (v > bv) { bv = v; bi = i; }   // strided scan visits each thread's indices in increasing order
    }
  }
  bestV[lid.x] = bv;
  bestI[lid.x] = bi;
  workgroupBarrier();
  for (var s = ${THREADS / 2}u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      let ov = bestV[lid.x + s];
      let oi = bestI[lid.x + s];
      if (ov > bestV[lid.x] || (ov == bestV[lid.x] && oi < bestI[lid.x])) { bestV[lid.x] = ov; bestI[lid.x] = oi; }
    }
    workgroupBarrier();
  }
  let mx = bestV[0];
  var sum = 0.0;
  if (valid) { for (var i = lid.x; i < P.V; i += ${THREADS}u) { sum += exp(X[base + i] - mx); } }
  sums[lid.x] = sum;
  workgroupBarrier();
  for (var s = ${THREADS / 2}u; s > 0u; s >>= 1u) {
    if (lid.x < s) { sums[lid.x] += sums[lid.x + s]; }
    workgroupBarrier();
  }
  if (valid && lid.x == 0u) {
    Out[row] = select(bestI[0], 0u, bestI[0] == 0xffffffffu);
    Out[P.rows + row] = bitcast<u32>(-log(sums[0]));
  }
}`;

export interface GreedySample {
  /** Chosen token per row. */
  readonly ids: Int32Array;
  /** Log-probability of each chosen token under the row's full softmax. */
  readonly logprobs: Float32Array;
}

export async function sampleGreedy(ctx: GpuContext, logits: GpuTensor): Promise<GreedySample> {
  const rows = logits.rows;
  const out = newTensor(ctx, [2 * rows]);
  ctx.dispatch(ctx.pipeline("argmax", () => ARGMAX_WGSL), [ctx.params([rows, logits.cols]), bindTensor(logits), bindTensor(out)], rows);
  const pending = ctx.readBack(out.buffer, 0, out.bytes); // records the copy and submits before returning
  releaseTensor(ctx, out);
  const bytes = await pending;
  return { ids: new Int32Array(bytes, 0, rows), logprobs: new Float32Array(bytes, rows * 4, rows) };
}
