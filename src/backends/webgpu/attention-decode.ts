/**
 * Attention for one query row (decode), split over the key slots (spec §1.5, §2).
 * The prefill kernel gives each head one workgroup that walks every slot, which at decode leaves a GPU with
 * a handful of busy workgroups (16 heads → 16 of ~130 SMs on an H200) stepping serially through the cache:
 * on the issue-6 shape it was 70% of a decode step. Here each workgroup takes one head and one chunk of
 * slots: 64 threads score 64 slots at once (one slot per thread), softmax the tile online, and accumulate
 * V with each thread owning D/64 output columns (coalesced reads). The chunks' partial results — unnormalised
 * output, running max, running sum — are merged by a second small kernel, the flash-decoding scheme.
 * Masking is the prefill kernel's: by the position stored in each slot, so ring order does not matter.
 * A store of up to one chunk (short contexts) needs no merge: one dispatch, not two.
 */
import type { AttentionParams } from "../ops.js";
import type { GpuContext } from "./gpu-context.js";
import type { GpuKvStore, GpuTensor } from "./gpu-tensors.js";
import { attentionHeaderWgsl, attentionParamWords, storeBindings } from "./attention-common.js";
import { bindTensor, newTensor, releaseTensor } from "./tensor-alloc.js";

/** Threads per workgroup, and slots scored per tile (one per thread). */
const THREADS = 64;
/** Aim for this many workgroups per call so that every SM of a large GPU has work (fewer slots → fewer). */
const TARGET_WORKGROUPS = 256;

/**
 * `width` 4: keys, values and q read as vec4 (head dims that are a multiple of 4: a quarter of the loads
 * in each thread's dot product, the chain that bounds this kernel). With one chunk in all (`P.direct`),
 * the workgroup writes the normalised output itself and no combine pass runs.
 */
function partialWgsl(dMax: number, width: 1 | 4): string {
  const vec = width === 4 ? "vec4<f32>" : "f32";
  const dot = width === 4 ? (a: string, b: string) => `dot(${a}, ${b})` : (a: string, b: string) => `${a} * ${b}`;
  const columnsPerThread = Math.max(1, dMax / (THREADS * width));
  const store = (target: string) => width === 4
    ? `let o4 = ${target} + j * 4u;
      Part[o4] = value.x; Part[o4 + 1u] = value.y; Part[o4 + 2u] = value.z; Part[o4 + 3u] = value.w;`
    : `Part[${target} + j] = value;`;
  return `
${attentionHeaderWgsl("Part", "", "chunk: u32, direct: u32", width === 4)}
const TS = ${THREADS}u;
const R = ${columnsPerThread}u;
var<workgroup> qs: array<${vec}, ${dMax / width}>;
var<workgroup> S: array<f32, ${THREADS}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let D = P.D;
  let Dw = D / ${width}u;
  let h = wid.y;
  let kvBase = (h / P.group) * Dw;
  let slotStride = P.numKvHeads * Dw;
  for (var j = lid.x; j < Dw; j += TS) { qs[j] = Q[h * Dw + j]; }
  workgroupBarrier();
  let qp = QPos[0];
  var m = NEG;
  var l = 0.0;
  var acc: array<${vec}, R>;
  for (var r = 0u; r < R; r++) { acc[r] = ${vec}(0.0); }
  let begin = wid.x * P.chunk;
  let end = min(P.used, begin + P.chunk);
  for (var t0 = begin; t0 < end; t0 += TS) {
    let nb = min(TS, end - t0);
    var score = NEG;
    if (lid.x < nb) {
      let kp = KPos[t0 + lid.x];
      if (kp >= 0 && kp <= qp && (P.window == 0u || u32(qp - kp) < P.window)) {
        let base = (t0 + lid.x) * slotStride + kvBase;
        var dotv = 0.0;
        for (var j = 0u; j < Dw; j++) { dotv += ${dot("qs[j]", "K[base + j]")}; }
        score = dotv * P.scale;
        if (P.softcap > 0.0) { score = softcap(score, P.softcap); }
      }
    }
    S[lid.x] = score;
    workgroupBarrier();
    var tileMax = NEG;
    for (var i = 0u; i < nb; i++) { tileMax = max(tileMax, S[i]); }
    workgroupBarrier();
    let newMax = max(m, tileMax);
    let alpha = select(exp(m - newMax), 0.0, m <= NEG);
    S[lid.x] = select(exp(score - newMax), 0.0, score <= NEG);
    workgroupBarrier();
    var sum = 0.0;
    for (var i = 0u; i < nb; i++) { sum += S[i]; }
    l = l * alpha + sum;
    m = newMax;
    for (var r = 0u; r < R; r++) {
      let j = lid.x + r * TS;
      if (j < Dw) {
        var a = acc[r] * alpha;
        for (var i = 0u; i < nb; i++) { a += S[i] * V[(t0 + i) * slotStride + kvBase + j]; }
        acc[r] = a;
      }
    }
    workgroupBarrier();
  }
  if (P.direct != 0u) {
    for (var r = 0u; r < R; r++) {
      let j = lid.x + r * TS;
      if (j < Dw) {
        let value = select(${vec}(0.0), acc[r] / l, l > 0.0);
        ${store("h * D")}
      }
    }
    return;
  }
  let o = (h * nwg.x + wid.x) * (D + 2u);
  for (var r = 0u; r < R; r++) {
    let j = lid.x + r * TS;
    if (j < Dw) {
      let value = acc[r];
      ${store("o")}
    }
  }
  if (lid.x == 0u) { Part[o + D] = m; Part[o + D + 1u] = l; }
}`;
}

const COMBINE_WGSL = `
struct Params { D: u32, splits: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Part: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
const NEG = -3.0e38;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let D = P.D;
  let h = wid.x;
  let stride = D + 2u;
  let first = h * P.splits;
  var M = NEG;
  for (var s = 0u; s < P.splits; s++) { M = max(M, Part[(first + s) * stride + D]); }
  var L = 0.0;
  for (var s = 0u; s < P.splits; s++) {
    let ms = Part[(first + s) * stride + D];
    if (ms > NEG) { L += Part[(first + s) * stride + D + 1u] * exp(ms - M); }
  }
  for (var j = lid.x; j < D; j += ${THREADS}u) {
    var o = 0.0;
    for (var s = 0u; s < P.splits; s++) {
      let ms = Part[(first + s) * stride + D];
      if (ms > NEG) { o += Part[(first + s) * stride + j] * exp(ms - M); }
    }
    O[h * D + j] = select(0.0, o / L, L > 0.0);
  }
}`;

/** Slots per workgroup: whole tiles, as few as keep about TARGET_WORKGROUPS workgroups busy. */
export function decodeChunk(used: number, numHeads: number): number {
  const tiles = Math.max(1, Math.ceil(used / THREADS));
  const wantedSplits = Math.max(1, Math.ceil(TARGET_WORKGROUPS / numHeads));
  return Math.ceil(tiles / wantedSplits) * THREADS;
}

/** One query row `q` [1, numHeads × D] against the store's `used` slots. */
export function attentionDecode(ctx: GpuContext, q: GpuTensor, store: GpuKvStore, position: Int32Array, p: AttentionParams, dMax: number): GpuTensor {
  const { numHeads, headDim: d } = p;
  const used = Math.max(1, store.used);
  const chunk = decodeChunk(used, numHeads);
  const splits = Math.ceil(used / chunk);
  const width = d % 4 === 0 ? 4 : 1;
  const direct = splits === 1;
  const out = newTensor(ctx, q.shape);
  const part = direct ? out : newTensor(ctx, [numHeads * splits, d + 2]);
  ctx.dispatch(ctx.pipeline(`attention-decode:${dMax}:${width}`, () => partialWgsl(dMax, width)), [
    ctx.params([...attentionParamWords(p, used), chunk, direct ? 1 : 0]), bindTensor(q), bindTensor(part), ...storeBindings(store), ctx.upload(position),
  ], [splits, numHeads, 1]);
  if (direct) return out;
  ctx.dispatch(ctx.pipeline("attention-combine", () => COMBINE_WGSL), [ctx.params([d, splits]), bindTensor(part), bindTensor(out)], numHeads);
  releaseTensor(ctx, part);
  return out;
}
