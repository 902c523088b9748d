/**
 * RMSNorm over consecutive groups of `dim` values, in the three forms of spec §1.1, one workgroup per group:
 * y = x · 1/√(mean(x²) + eps), then × (1 + w), × w, or nothing. Matches the reference's order of rounding
 * (normalise, round, then apply the weight). Rows whose length is a multiple of 4 go as vec4.
 *
 * Two fused forms save the decoder dispatches (a 32-layer decode step had 735): `addNorm` writes
 * sum = (residual + norm(x)) × scalar, the add after every attention and MLP block (and layer_scalar), and
 * optionally the next block's input norm of that sum as a second output; `normRope` rotates the normed q
 * or k heads (spec §1.4) before writing them. Their sums of squares run in another order than the plain
 * kernel's (scalar, not vec4), so results agree with the separate ops to float rounding, not bit for bit.
 */
import type { NormForm } from "../ops.js";
import { FLAT_WORKGROUP, f32Bits, type ArenaSlice, type Binding, type GpuContext } from "./gpu-context.js";
import type { GpuTensor, GpuWeight } from "./gpu-tensors.js";
import { reduceSumWgsl } from "./reduce-wgsl.js";
import { ROTATE_WGSL, checkRope, type RopeTables } from "./rope.js";
import { unary } from "./elementwise.js";
import { bindTensor, newTensor, releaseTensor } from "./tensor-alloc.js";
import { chunkBindings, weightWgsl } from "./weight-storage.js";

/** Threads per group: at decode a norm is one row of a few thousand values, and each thread's loop is a
 *  chain of dependent memory round trips, so more threads (and vec4 loads) mean a shorter chain. */
const THREADS = 256;

/** Bindings: 0 params, 1 x, 2 y, 3 (and 4 for block scales) the norm weight, then the fused inputs. */
const RESIDUAL_BINDING = 5;
const SCALAR_BINDING = 6;
const NEXT_OUTPUT_BINDING = 7;
const NEXT_WEIGHT_BINDING = 8;
const COS_SIN_BINDING = 5;

type Fusion =
  | { readonly kind: "plain" }
  | { readonly kind: "add"; readonly scalar: GpuWeight | null; readonly next: GpuWeight | null }
  | { readonly kind: "rope" };

/** `vector`: rows of a multiple of 4 values, read and written as vec4 (a quarter of the loop trips). */
function rmsNormWgsl(form: NormForm, weight: GpuWeight | null, vector: boolean, fusion: Fusion): string {
  const one = vector ? "vec4<f32>(1.0)" : "1.0";
  // The weight applied to `normed` at element e, read through `reader` (wAt, or wAtNext for the next norm).
  const applyWith = (reader: string): string => {
    const w = vector ? `${reader}4(e)` : `${reader}(e)`;
    return form === "none" ? "normed" : form === "one-plus" ? `normed * (${one} + ${w})` : `normed * ${w}`;
  };
  const apply = applyWith("wAt");
  const elem = vector ? "vec4<f32>" : "f32";
  const width = vector ? 4 : 1;
  const square = (v: string): string => (vector ? `dot(${v}, ${v})` : `${v} * ${v}`);
  const vec4Reader = (reader: string): string =>
    `fn ${reader}4(e: u32) -> vec4<f32> { return vec4<f32>(${reader}(e), ${reader}(e + 1u), ${reader}(e + 2u), ${reader}(e + 3u)); }`;
  const scalar = fusion.kind === "add" ? fusion.scalar : null;
  const next = fusion.kind === "add" ? fusion.next : null;
  const fusedDecls = fusion.kind === "add"
    ? [
      `@group(0) @binding(${RESIDUAL_BINDING}) var<storage, read> R: array<${elem}>;`,
      scalar ? weightWgsl(scalar.storedDtype, SCALAR_BINDING, false, "Scalar") : "",
      next ? `@group(0) @binding(${NEXT_OUTPUT_BINDING}) var<storage, read_write> Z: array<${elem}>;\n${weightWgsl(next.storedDtype, NEXT_WEIGHT_BINDING, false, "Next")}` : "",
      next && vector ? vec4Reader("wAtNext") : "",
    ].join("\n")
    : fusion.kind === "rope"
      ? `@group(0) @binding(${COS_SIN_BINDING}) var<storage, read> CosSin: array<f32>;  // [T, half] cos, then [T, half] sin
fn normedAt(base: u32, e: u32, inv: f32) -> f32 { let normed = X[base + e] * inv; return ${apply}; }
${ROTATE_WGSL}`
      : "";
  let output: string;
  if (fusion.kind === "rope") {
    output = `
  let half = P.dim / 2u;
  let t = g / P.heads;
  for (var j = lid.x; j < half; j += ${THREADS}u) {
    let r = rotated(normedAt(base, j, inv), normedAt(base, j + half, inv), t, P.T, half, j);
    Y[base + j] = r.x;
    Y[base + j + half] = r.y;
  }`;
  } else if (fusion.kind === "add") {
    // The sum is rounded (and scaled) as the separate add and scale would; the next norm then reads
    // back what this thread wrote (same elements in both loops, so no barrier is needed).
    output = `
  var acc2 = 0.0;
  for (var i = lid.x; i < n; i += ${THREADS}u) {
    let normed = X[base + i] * inv;
    let e = i * ${width}u;
    let added = R[base + i] + ${apply};
    let total = ${scalar ? "added * wAtScalar(0u)" : "added"};
    Y[base + i] = total;
    ${next ? `acc2 += ${square("total")};` : ""}
  }${next ? `
  let inv2 = 1.0 / sqrt(reduceSum(acc2, lid.x) / f32(P.dim) + P.eps);
  for (var i = lid.x; i < n; i += ${THREADS}u) {
    let normed = Y[base + i] * inv2;
    let e = i * ${width}u;
    Z[base + i] = ${applyWith("wAtNext")};
  }` : ""}`;
  } else {
    output = `
  for (var i = lid.x; i < n; i += ${THREADS}u) {
    let normed = X[base + i] * inv;
    let e = i * ${width}u;
    Y[base + i] = ${apply};
  }`;
  }
  return `
struct Params { groups: u32, dim: u32, eps: f32, T: u32, heads: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<${elem}>;
@group(0) @binding(2) var<storage, read_write> Y: array<${elem}>;
${weight ? weightWgsl(weight.storedDtype, 3, false) : ""}
${weight && vector ? vec4Reader("wAt") : ""}
${fusedDecls}
${reduceSumWgsl(THREADS)}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = ${FLAT_WORKGROUP};
  if (g >= P.groups) { return; }
  let n = P.dim / ${width}u;
  let base = g * n;
  var acc = 0.0;
  for (var i = lid.x; i < n; i += ${THREADS}u) { let v = X[base + i]; acc += ${square("v")}; }
  let inv = 1.0 / sqrt(reduceSum(acc, lid.x) / f32(P.dim) + P.eps);${output}
}`;
}

function checkNorm(op: string, x: GpuTensor, weight: GpuWeight | null, form: NormForm, dim: number): GpuWeight | null {
  if (x.size % dim !== 0) throw new Error(`${op}: ${x.size} values are not groups of ${dim}`);
  if (form !== "none" && (!weight || weight.shape[0] !== dim)) throw new Error(`${op}: form ${form} needs a [${dim}] weight`);
  return form === "none" ? null : weight;
}

/** Records one norm kernel over x's groups of `dim`; `extra` are the fused inputs' bindings from 5 on. */
function dispatchNorm(ctx: GpuContext, x: GpuTensor, w: GpuWeight | null, form: NormForm, eps: number, dim: number,
  fusion: Fusion, extra: readonly (Binding | null)[], ropeRows = 0, heads = 0): GpuTensor {
  const y = newTensor(ctx, x.shape);
  const vector = fusion.kind !== "rope" && dim % 4 === 0;
  const fused = fusion.kind === "add" ? `add:${fusion.scalar?.storedDtype ?? "-"}:${fusion.next?.storedDtype ?? "-"}` : fusion.kind;
  const pipeline = ctx.pipeline(`rmsnorm:${form}:${w?.storedDtype ?? "-"}${vector ? ":v4" : ""}:${fused}`, () => rmsNormWgsl(form, w, vector, fusion));
  const groups = x.size / dim;
  const params = ctx.params([groups, dim, f32Bits(eps), ropeRows, heads]);
  const weightBindings: (Binding | null)[] = w ? chunkBindings(w.chunks[0]!) : [];
  while (weightBindings.length < 2) weightBindings.push(null);
  ctx.dispatch(pipeline, [params, bindTensor(x), bindTensor(y), ...weightBindings, ...extra], groups);
  return y;
}

export function rmsNorm(ctx: GpuContext, x: GpuTensor, weight: GpuWeight | null, form: NormForm, eps: number, dim: number): GpuTensor {
  const w = checkNorm("rmsNorm", x, weight, form, dim);
  return dispatchNorm(ctx, x, w, form, eps, dim, { kind: "plain" }, []);
}

/** sum = (residual + rmsNorm(x)) × scalar (a [1] weight), and rmsNorm(sum, next) when `next` is given (same
 *  form, eps and dim), in one kernel. A quantized scalar or next weight, or a next norm of form "none"
 *  (nothing to bind), takes separate kernels for that part. */
export function addNorm(ctx: GpuContext, residual: GpuTensor, x: GpuTensor, weight: GpuWeight, form: NormForm, eps: number, dim: number,
  scalar: GpuWeight | null, next: GpuWeight | null): [GpuTensor, GpuTensor | null] {
  const w = checkNorm("addNorm", x, weight, form, dim);
  if (next) checkNorm("addNorm (next norm)", x, next, form, dim);
  if (residual.size !== x.size) throw new Error(`addNorm: residual [${residual.shape}] and x [${x.shape}] differ`);
  if (scalar && scalar.shape.reduce((a, b) => a * b, 1) !== 1) throw new Error(`addNorm: weight [${scalar.shape}] is not a scalar`);
  if (scalar?.quantized || (next && (next.quantized || form === "none"))) {
    const [sum] = addNorm(ctx, residual, x, weight, form, eps, dim, scalar?.quantized ? null : scalar, null);
    let out = sum;
    if (scalar?.quantized) {
      out = unary(ctx, "scaleByWeight", sum, 0, scalar);
      releaseTensor(ctx, sum);
    }
    return [out, next ? rmsNorm(ctx, out, next, form, eps, dim) : null];
  }
  const z = next ? newTensor(ctx, x.shape) : null;
  const extra: (Binding | null)[] = [
    bindTensor(residual),
    scalar ? chunkBindings(scalar.chunks[0]!)[0]! : null,
    z ? bindTensor(z) : null,
    next ? chunkBindings(next.chunks[0]!)[0]! : null,
  ];
  const y = dispatchNorm(ctx, x, w, form, eps, dim, { kind: "add", scalar, next }, extra);
  return [y, z];
}

/** rope(rmsNorm(x)) over heads of `headDim` values, in one kernel (the cos/sin table as `rope` makes it). */
export function normRope(ctx: GpuContext, tables: RopeTables, x: GpuTensor, weight: GpuWeight, form: NormForm, eps: number,
  positions: Int32Array, invFreq: Float32Array, headDim: number): GpuTensor {
  const w = checkNorm("normRope", x, weight, form, headDim);
  checkRope("normRope", x, positions, invFreq, headDim);
  const table: ArenaSlice = tables.get(ctx, positions, invFreq);
  return dispatchNorm(ctx, x, w, form, eps, headDim, { kind: "rope" }, [table], x.rows, x.cols / headDim);
}
