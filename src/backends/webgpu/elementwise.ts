/**
 * Elementwise ops on float32 activations: gated activation (GELU tanh or exact, erf written out), add,
 * mul, scale, scale by a [1] weight, softcap, and row/column slices. One thread per output value.
 * tanh and erf are our own WGSL: the builtin tanh has no precision guarantee near 0, where softcap needs
 * relative accuracy; erf uses the reference's Numerical Recipes fit so both sides compute the same thing.
 */
import type { Activation } from "../ops.js";
import { FLAT_WORKGROUP, f32Bits, type GpuContext } from "./gpu-context.js";
import type { GpuTensor, GpuWeight } from "./gpu-tensors.js";
import { bindTensor, newTensor } from "./tensor-alloc.js";
import { chunkBindings, weightWgsl } from "./weight-storage.js";

export const MATH_WGSL = `
fn tanhAccurate(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.0625) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-0.33333333 + x2 * (0.13333333 + x2 * -0.053968254)));
  }
  if (a > 12.0) { return sign(x); }
  let e = exp(-2.0 * a);
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn erfNR(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(r - 1.0, 1.0 - r, x >= 0.0);
}
fn geluTanh(x: f32) -> f32 { return 0.5 * x * (1.0 + tanhAccurate(0.7978845608028654 * (x + 0.044715 * x * x * x))); }
fn geluExact(x: f32) -> f32 { return 0.5 * x * (1.0 + erfNR(x * 0.7071067811865476)); }
fn softcap(x: f32, cap: f32) -> f32 { return cap * tanhAccurate(x / cap); }
`;

type UnaryOp = "scale" | "softcap" | "scaleByWeight";
type BinaryOp = "add" | "mul" | "gelu_tanh" | "gelu_exact";

const BINARY_EXPR: Record<BinaryOp, string> = {
  add: "a + b", mul: "a * b", gelu_tanh: "geluTanh(a) * b", gelu_exact: "geluExact(a) * b",
};

function elementwiseWgsl(expr: string, binary: boolean, weight: GpuWeight | null): string {
  return `
struct Params { n: u32, value: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${binary ? "@group(0) @binding(3) var<storage, read> B: array<f32>;" : ""}
${weight ? weightWgsl(weight.storedDtype, 3, false) : ""}
${MATH_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = ${FLAT_WORKGROUP} * 256u + lid.x;
  if (i >= P.n) { return; }
  let a = A[i];
  ${binary ? "let b = B[i];" : ""}
  Y[i] = ${expr};
}`;
}

export function binary(ctx: GpuContext, op: BinaryOp, a: GpuTensor, b: GpuTensor): GpuTensor {
  if (a.size !== b.size) throw new Error(`${op}: shapes [${a.shape}] and [${b.shape}] differ`);
  const y = newTensor(ctx, a.shape);
  const pipeline = ctx.pipeline(`binary:${op}`, () => elementwiseWgsl(BINARY_EXPR[op], true, null));
  ctx.dispatch(pipeline, [ctx.params([a.size, 0]), bindTensor(a), bindTensor(y), bindTensor(b)], Math.ceil(a.size / 256));
  return y;
}

export function gatedActivation(ctx: GpuContext, gate: GpuTensor, up: GpuTensor, activation: Activation): GpuTensor {
  return binary(ctx, activation, gate, up);
}

export function unary(ctx: GpuContext, op: UnaryOp, x: GpuTensor, value: number, weight: GpuWeight | null = null): GpuTensor {
  const y = newTensor(ctx, x.shape);
  const expr = op === "scale" ? "a * P.value" : op === "softcap" ? "softcap(a, P.value)" : "a * wAt(0u)";
  const pipeline = ctx.pipeline(`unary:${op}:${weight?.storedDtype ?? "-"}`, () => elementwiseWgsl(expr, false, weight));
  ctx.dispatch(pipeline, [ctx.params([x.size, f32Bits(value)]), bindTensor(x), bindTensor(y), ...(weight ? chunkBindings(weight.chunks[0]!) : [])], Math.ceil(x.size / 256));
  return y;
}

const SLICE_WGSL = `
struct Params { rows: u32, cols: u32, srcCols: u32, rowStart: u32, colStart: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = ${FLAT_WORKGROUP} * 256u + lid.x;
  if (i >= P.rows * P.cols) { return; }
  let r = i / P.cols;
  let c = i % P.cols;
  Y[i] = X[(P.rowStart + r) * P.srcCols + P.colStart + c];
}`;

/** Rows [rowStart, rowStart+rows) and columns [colStart, colStart+cols) of x [T, N]. */
export function slice(ctx: GpuContext, x: GpuTensor, rowStart: number, rows: number, colStart: number, cols: number, shape: readonly number[]): GpuTensor {
  const y = newTensor(ctx, shape);
  const params = ctx.params([rows, cols, x.cols, rowStart, colStart]);
  ctx.dispatch(ctx.pipeline("slice", () => SLICE_WGSL), [params, bindTensor(x), bindTensor(y)], Math.ceil((rows * cols) / 256));
  return y;
}
