/**
 * RMSNorm over consecutive groups of `dim` values, in the three forms of spec §1.1, one workgroup per group:
 * y = x · 1/√(mean(x²) + eps), then × (1 + w), × w, or nothing. Matches the reference's order of rounding
 * (normalise, round, then apply the weight).
 */
import type { NormForm } from "../ops.js";
import { FLAT_WORKGROUP, f32Bits, type GpuContext } from "./gpu-context.js";
import type { GpuTensor, GpuWeight } from "./gpu-tensors.js";
import { reduceSumWgsl } from "./reduce-wgsl.js";
import { bindTensor, newTensor } from "./tensor-alloc.js";
import { chunkBindings, weightWgsl } from "./weight-storage.js";

const THREADS = 128;

function rmsNormWgsl(form: NormForm, weight: GpuWeight | null): string {
  const apply = form === "none" ? "normed" : form === "one-plus" ? "normed * (1.0 + wAt(i))" : "normed * wAt(i)";
  return `
struct Params { groups: u32, dim: u32, eps: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${weight ? weightWgsl(weight.storedDtype, 3, false) : ""}
${reduceSumWgsl(THREADS)}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = ${FLAT_WORKGROUP};
  if (g >= P.groups) { return; }
  let base = g * P.dim;
  var acc = 0.0;
  for (var i = lid.x; i < P.dim; i += ${THREADS}u) { let v = X[base + i]; acc += v * v; }
  let inv = 1.0 / sqrt(reduceSum(acc, lid.x) / f32(P.dim) + P.eps);
  for (var i = lid.x; i < P.dim; i += ${THREADS}u) {
    let normed = X[base + i] * inv;
    Y[base + i] = ${apply};
  }
}`;
}

export function rmsNorm(ctx: GpuContext, x: GpuTensor, weight: GpuWeight | null, form: NormForm, eps: number, dim: number): GpuTensor {
  if (x.size % dim !== 0) throw new Error(`rmsNorm: ${x.size} values are not groups of ${dim}`);
  if (form !== "none" && (!weight || weight.shape[0] !== dim)) throw new Error(`rmsNorm: form ${form} needs a [${dim}] weight`);
  const w = form === "none" ? null : weight;
  const y = newTensor(ctx, x.shape);
  const pipeline = ctx.pipeline(`rmsnorm:${form}:${w?.storedDtype ?? "-"}`, () => rmsNormWgsl(form, w));
  const groups = x.size / dim;
  const params = ctx.params([groups, dim, f32Bits(eps)]);
  ctx.dispatch(pipeline, [params, bindTensor(x), bindTensor(y), ...(w ? chunkBindings(w.chunks[0]!) : [])], groups);
  return y;
}
