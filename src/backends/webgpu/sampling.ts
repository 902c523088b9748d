/**
 * Greedy sampling on the device: per row of logits, the index of the largest value (ties to the lower
 * index, as the host sampler) and its log-probability −log Σ exp(x − max), so a decode step reads back
 * 8 bytes per row instead of the whole vocabulary.
 */
import type { GreedySample } from "../ops.js";
import { FLAT_WORKGROUP, type GpuContext } from "./gpu-context.js";
import type { GpuTensor } from "./gpu-tensors.js";
import { reduceSumWgsl } from "./reduce-wgsl.js";
import { bindTensor, newTensor, releaseTensor } from "./tensor-alloc.js";

const THREADS = 256;

const ARGMAX_WGSL = `
struct Params { rows: u32, V: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Out: array<u32>;  // [rows] ids, then [rows] logprob bits
var<workgroup> bestV: array<f32, ${THREADS}>;
var<workgroup> bestI: array<u32, ${THREADS}>;
var<workgroup> best16V: array<f32, 16>;
var<workgroup> best16I: array<u32, 16>;
${reduceSumWgsl(THREADS)}
fn better(v: f32, i: u32, bv: f32, bi: u32) -> bool { return v > bv || (v == bv && i < bi); }
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
      if (v > bv) { bv = v; bi = i; }   // each thread visits its indices in increasing order
    }
  }
  bestV[lid.x] = bv;
  bestI[lid.x] = bi;
  workgroupBarrier();
  if (lid.x < 16u) {
    var v = bestV[lid.x];
    var ix = bestI[lid.x];
    for (var j = lid.x + 16u; j < ${THREADS}u; j += 16u) { if (better(bestV[j], bestI[j], v, ix)) { v = bestV[j]; ix = bestI[j]; } }
    best16V[lid.x] = v;
    best16I[lid.x] = ix;
  }
  workgroupBarrier();
  var mv = best16V[0];
  var mi = best16I[0];
  for (var j = 1u; j < 16u; j++) { if (better(best16V[j], best16I[j], mv, mi)) { mv = best16V[j]; mi = best16I[j]; } }
  var sum = 0.0;
  if (valid) { for (var i = lid.x; i < P.V; i += ${THREADS}u) { sum += exp(X[base + i] - mv); } }
  let total = reduceSum(sum, lid.x);
  if (valid && lid.x == 0u) {
    Out[row] = select(mi, 0u, mi == 0xffffffffu);
    Out[P.rows + row] = bitcast<u32>(-log(total));
  }
}`;

export async function sampleGreedy(ctx: GpuContext, logits: GpuTensor): Promise<GreedySample> {
  const rows = logits.rows;
  const out = newTensor(ctx, [2 * rows]);
  ctx.dispatch(ctx.pipeline("argmax", () => ARGMAX_WGSL), [ctx.params([rows, logits.cols]), bindTensor(logits), bindTensor(out)], rows);
  const pending = ctx.readBack(out.buffer, 0, out.bytes); // records the copy and submits before returning
  releaseTensor(ctx, out);
  const bytes = await pending;
  return { ids: new Int32Array(bytes, 0, rows), logprobs: new Float32Array(bytes, rows * 4, rows) };
}
