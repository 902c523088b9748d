/**
 * RMSNorm over consecutive groups of `dim` values, in the three forms of spec §1.1, one workgroup per group:
 * y = x · 1/√(mean(x²) + eps), then × (1 + w), × w, or nothing. Matches the reference's order of rounding
 * (normalise, round, then apply the weight). Rows whose length is a multiple of 4 go as vec4.
 */
import type { NormForm } from "../ops.js";
import { FLAT_WORKGROUP, f32Bits, type GpuContext } from "./gpu-context.js";
import type { GpuTensor, GpuWeight } from "./gpu-tensors.js";
import { reduceSumWgsl } from "./reduce-wgsl.js";
import { bindTensor, newTensor } from "./tensor-alloc.js";
import { chunkBindings, weightWgsl } from "./weight-storage.js";

/** Threads per group: at decode a norm is one row of a few thousand values, and each thread's loop is a
 *  chain of dependent memory round trips, so more threads (and vec4 loads) mean a shorter chain. */
const THREADS = 256;

/** `vector`: rows of a multiple of 4 values, read and written as vec4 (a quarter of the loop trips). */
function rmsNormWgsl(form: NormForm, weight: GpuWeight | null, vector: boolean): string {
  const w = vector ? "wAt4(e)" : "wAt(e)";
  const one = vector ? "vec4<f32>(1.0)" : "1.0";
  const apply = form === "none" ? "normed" : form === "one-plus" ? `normed * (${one} + ${w})` : `normed * ${w}`;
  const elem = vector ? "vec4<f32>" : "f32";
  const width = vector ? 4 : 1;
  return `
struct Params { groups: u32, dim: u32, eps: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<${elem}>;
@group(0) @binding(2) var<storage, read_write> Y: array<${elem}>;
${weight ? weightWgsl(weight.storedDtype, 3, false) : ""}
${weight && vector ? "fn wAt4(e: u32) -> vec4<f32> { return vec4<f32>(wAt(e), wAt(e + 1u), wAt(e + 2u), wAt(e + 3u)); }" : ""}
${reduceSumWgsl(THREADS)}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = ${FLAT_WORKGROUP};
  if (g >= P.groups) { return; }
  let n = P.dim / ${width}u;
  let base = g * n;
  var acc = 0.0;
  for (var i = lid.x; i < n; i += ${THREADS}u) { let v = X[base + i]; acc += ${vector ? "dot(v, v)" : "v * v"}; }
  let inv = 1.0 / sqrt(reduceSum(acc, lid.x) / f32(P.dim) + P.eps);
  for (var i = lid.x; i < n; i += ${THREADS}u) {
    let normed = X[base + i] * inv;
    let e = i * ${width}u;
    Y[base + i] = ${apply};
  }
}`;
}

export function rmsNorm(ctx: GpuContext, x: GpuTensor, weight: GpuWeight | null, form: NormForm, eps: number, dim: number): GpuTensor {
  if (x.size % dim !== 0) throw new Error(`rmsNorm: ${x.size} values are not groups of ${dim}`);
  if (form !== "none" && (!weight || weight.shape[0] !== dim)) throw new Error(`rmsNorm: form ${form} needs a [${dim}] weight`);
  const w = form === "none" ? null : weight;
  const y = newTensor(ctx, x.shape);
  const vector = dim % 4 === 0;
  const pipeline = ctx.pipeline(`rmsnorm:${form}:${w?.storedDtype ?? "-"}${vector ? ":v4" : ""}`, () => rmsNormWgsl(form, w, vector));
  const groups = x.size / dim;
  const params = ctx.params([groups, dim, f32Bits(eps)]);
  ctx.dispatch(pipeline, [params, bindTensor(x), bindTensor(y), ...(w ? chunkBindings(w.chunks[0]!) : [])], groups);
  return y;
}
