/**
 * What the attention kernels (attention.ts, attention-prefill.ts, attention-decode.ts) share: their
 * parameters and bindings (q rows, the output, the KV store's keys, values and slot positions, the query
 * positions), and the online-softmax step of the flash-style ones.
 */
import type { AttentionParams } from "../ops.js";
import { MATH_WGSL } from "./elementwise.js";
import { f32Bits, type Binding } from "./gpu-context.js";
import type { GpuKvStore } from "./gpu-tensors.js";

const SHARED_FIELDS = "numHeads: u32, numKvHeads: u32, used: u32, scale: f32, softcap: f32, window: u32, group: u32, D: u32";

/** WGSL: the Params struct (`leading` fields, the shared ones, `trailing` fields), bindings 0–6 with the
 *  output named `output`, the math helpers and NEG (a masked score). With `vec4`, q, keys and values are
 *  read as vec4 (head dims that are a multiple of 4). */
export function attentionHeaderWgsl(output: string, leading: string, trailing: string, vec4 = false): string {
  const fields = [leading, SHARED_FIELDS, trailing].filter((f) => f !== "").join(", ");
  const read = vec4 ? "vec4<f32>" : "f32";
  return `
struct Params { ${fields} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Q: array<${read}>;
@group(0) @binding(2) var<storage, read_write> ${output}: array<f32>;
@group(0) @binding(3) var<storage, read> K: array<${read}>;
@group(0) @binding(4) var<storage, read> V: array<${read}>;
@group(0) @binding(5) var<storage, read> KPos: array<i32>;
@group(0) @binding(6) var<storage, read> QPos: array<i32>;
${MATH_WGSL}
const NEG = -3.0e38;`;
}

/** The shared Params words, in SHARED_FIELDS order, for `used` slots. */
export function attentionParamWords(p: AttentionParams, used: number): number[] {
  return [p.numHeads, p.numKvHeads, used, f32Bits(p.scale), f32Bits(p.softcap ?? 0), p.window ?? 0, p.numHeads / p.numKvHeads, p.headDim];
}

/** Bindings 3–5: the store's keys, values and slot positions. */
export function storeBindings(store: GpuKvStore): Binding[] {
  const bytes = store.allocated * store.rowSize * 4;
  return [{ buffer: store.keys!, size: bytes }, { buffer: store.values!, size: bytes }, { buffer: store.positions!, size: store.allocated * 4 }];
}

/**
 * WGSL of the running softmax state of `rows` query rows (rowMax, rowSum, and rowAlpha: the factor that
 * rescales a row's output accumulated so far) and `softmaxRow(r)`, which takes row r of the score tile S
 * (BC columns, row stride `rowStride`, masked entries at NEG), updates the row's state and turns the row
 * into probabilities in place. The shader must declare S and BC.
 */
export function onlineSoftmaxWgsl(rowStride: string, rows: number): string {
  return `
var<workgroup> rowMax: array<f32, ${rows}>;
var<workgroup> rowSum: array<f32, ${rows}>;
var<workgroup> rowAlpha: array<f32, ${rows}>;
fn softmaxRow(r: u32) {
  let old = rowMax[r];
  var m = old;
  for (var c = 0u; c < BC; c++) { m = max(m, S[r * ${rowStride} + c]); }
  var alpha = 1.0;
  var sum = 0.0;
  if (m > NEG) {
    alpha = select(exp(old - m), 0.0, old <= NEG);
    for (var c = 0u; c < BC; c++) {
      let x = S[r * ${rowStride} + c];
      let p = select(exp(x - m), 0.0, x <= NEG);
      S[r * ${rowStride} + c] = p;
      sum += p;
    }
  } else {
    for (var c = 0u; c < BC; c++) { S[r * ${rowStride} + c] = 0.0; }
  }
  rowMax[r] = m;
  rowSum[r] = rowSum[r] * alpha + sum;
  rowAlpha[r] = alpha;
}`;
}
