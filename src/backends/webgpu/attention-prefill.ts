/**
 * Attention for many query rows (prefill) on a GPU, register-tiled flash attention (spec §1.5, §2).
 * A workgroup of 256 threads takes 64 query rows of one head and walks the key slots in tiles of 32:
 * scores S = q·kᵀ come from 16-wide chunks of q and k staged in workgroup memory, each thread holding a
 * 4 × 2 block of S in registers; the tile is masked (by the positions stored in the slots, so ring order
 * does not matter), scaled and softcapped, softmaxed online per row, and P·V is accumulated with each
 * thread owning 4 rows × D/16 output columns in registers. Every value a thread reads from workgroup
 * memory feeds 2–4 multiply-adds, where the simple kernel (attention.ts) read two per multiply-add and fit
 * only a handful of rows per workgroup at head dim 256: on an H200 that kernel took 9.4 s of a 10.7 s
 * prefill of 2,048 tokens. Tiles the mask hides from every row of the workgroup are skipped whole.
 */
import type { AttentionParams } from "../ops.js";
import type { GpuContext } from "./gpu-context.js";
import type { GpuKvStore, GpuTensor } from "./gpu-tensors.js";
import { attentionHeaderWgsl, attentionParamWords, onlineSoftmaxWgsl, storeBindings } from "./attention-common.js";
import { bindTensor, newTensor } from "./tensor-alloc.js";

const THREADS = 256;
/** Query rows per workgroup (16 thread rows × 4), key slots per tile (16 thread columns × 2), and the
 *  head-dim chunk of q and k staged at a time. */
const BR = 64;
const BC = 32;
const KC = 16;

/** Floats of workgroup memory the kernel needs with V staged `vc` slots at a time. */
function workgroupFloats(dMax: number, vc: number): number {
  const staged = Math.max(KC * (BR + 1) + KC * (BC + 1), vc * dMax);
  return BR * (BC + 1) + staged + 3 * BR + 1;
}

/** Slots of V staged at once (8 or fewer to fit the device), or 0 when even one does not fit. */
export function prefillValueChunk(ctx: GpuContext, dMax: number): number {
  const floats = Math.floor(ctx.device.limits.maxComputeWorkgroupStorageSize / 4);
  for (let vc = 8; vc >= 1; vc >>= 1) if (workgroupFloats(dMax, vc) <= floats) return vc;
  return 0;
}

function prefillWgsl(dMax: number, vc: number): string {
  const nc = dMax / 16; // output columns per thread
  const staged = Math.max(KC * (BR + 1) + KC * (BC + 1), vc * dMax);
  return `
${attentionHeaderWgsl("O", "T: u32", "")}
const BR = ${BR}u;
const BC = ${BC}u;
const SP = ${BC + 1}u;        // S row stride (padded against bank conflicts)
const KC = ${KC}u;
const QTP = ${BR + 1}u;       // stride of the staged qᵀ chunk: [KC][BR + 1]
const KT0 = ${KC * (BR + 1)}u; // where the staged kᵀ chunk starts: [KC][BC + 1]
const KTP = ${BC + 1}u;
const VC = ${vc}u;
const NC = ${nc}u;
var<workgroup> S: array<f32, ${BR * (BC + 1)}>;
var<workgroup> stage: array<f32, ${staged}>;   // q and k chunks, or VC rows of V
var<workgroup> tileLive: u32;
${onlineSoftmaxWgsl("SP", BR)}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tx = lid.x % 16u;
  let ty = lid.x / 16u;
  let D = P.D;
  let h = wid.y;
  let kvh = h / P.group;
  let r0 = wid.x * BR;
  let qStride = P.numHeads * D;
  let kvStride = P.numKvHeads * D;
  let rows = min(BR, P.T - r0);
  if (lid.x < BR) { rowMax[lid.x] = NEG; rowSum[lid.x] = 0.0; }
  var qMin = 0x7fffffff;
  var qMax = -1;
  for (var r = 0u; r < rows; r++) { let p = QPos[r0 + r]; qMin = min(qMin, p); qMax = max(qMax, p); }
  var qp: array<i32, 4>;
  for (var i = 0u; i < 4u; i++) {
    let r = ty * 4u + i;
    qp[i] = -1;   // a padding row, which sees nothing
    if (r < rows) { qp[i] = QPos[r0 + r]; }
  }
  var acc = array<array<f32, NC>, 4>();
  workgroupBarrier();
  for (var s0 = 0u; s0 < P.used; s0 += BC) {
    let nb = min(BC, P.used - s0);
    if (lid.x == 0u) { tileLive = 0u; }
    workgroupBarrier();
    if (lid.x < nb) {
      let kp = KPos[s0 + lid.x];
      if (kp >= 0 && kp <= qMax && (P.window == 0u || qMin - kp < i32(P.window))) { tileLive = 1u; }
    }
    if (workgroupUniformLoad(&tileLive) == 0u) { continue; }

    // S = q·kᵀ for rows ty*4 + i, slots tx*2 + c.
    // Zeroed explicitly: a bare var declaration here did not restart at zero on each tile (llvmpipe).
    var s = array<array<f32, 2>, 4>();
    for (var j0 = 0u; j0 < D; j0 += KC) {
      for (var e = lid.x; e < BR * KC; e += ${THREADS}u) {
        let r = e / KC;
        let j = j0 + e % KC;
        var v = 0.0;
        if (r < rows && j < D) { v = Q[(r0 + r) * qStride + h * D + j]; }
        stage[(e % KC) * QTP + r] = v;
      }
      for (var e = lid.x; e < BC * KC; e += ${THREADS}u) {
        let c = e / KC;
        let j = j0 + e % KC;
        var v = 0.0;
        if (c < nb && j < D) { v = K[(s0 + c) * kvStride + kvh * D + j]; }
        stage[KT0 + (e % KC) * KTP + c] = v;
      }
      workgroupBarrier();
      for (var j = 0u; j < KC; j++) {
        let k0 = stage[KT0 + j * KTP + tx * 2u];
        let k1 = stage[KT0 + j * KTP + tx * 2u + 1u];
        for (var i = 0u; i < 4u; i++) {
          let q = stage[j * QTP + ty * 4u + i];
          s[i][0] += q * k0;
          s[i][1] += q * k1;
        }
      }
      workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
      for (var c = 0u; c < 2u; c++) {
        let slot = tx * 2u + c;
        var score = NEG;
        if (slot < nb) {
          let kp = KPos[s0 + slot];
          if (kp >= 0 && kp <= qp[i] && (P.window == 0u || u32(qp[i] - kp) < P.window)) {
            score = s[i][c] * P.scale;
            if (P.softcap > 0.0) { score = softcap(score, P.softcap); }
          }
        }
        S[(ty * 4u + i) * SP + slot] = score;
      }
    }
    workgroupBarrier();

    // Online softmax, one thread per row.
    if (lid.x < BR) { softmaxRow(lid.x); }
    workgroupBarrier();
    for (var i = 0u; i < 4u; i++) {
      let a = rowAlpha[ty * 4u + i];
      for (var k = 0u; k < NC; k++) { acc[i][k] *= a; }
    }

    // O += P·V, V staged VC slots at a time; thread column k is tx + 16k (consecutive across threads).
    for (var c0 = 0u; c0 < nb; c0 += VC) {
      let vc = min(VC, nb - c0);
      for (var e = lid.x; e < VC * D; e += ${THREADS}u) {
        let c = e / D;
        var v = 0.0;
        if (c < vc) { v = V[(s0 + c0 + c) * kvStride + kvh * D + e % D]; }
        stage[e] = v;
      }
      workgroupBarrier();
      for (var c = 0u; c < vc; c++) {
        var p: array<f32, 4>;
        for (var i = 0u; i < 4u; i++) { p[i] = S[(ty * 4u + i) * SP + c0 + c]; }
        for (var k = 0u; k < NC; k++) {
          let j = tx + 16u * k;
          // Columns past D (a head dim below dMax) read column D − 1 again; they are never written.
          let v = stage[c * D + min(j, D - 1u)];
          for (var i = 0u; i < 4u; i++) { acc[i][k] += p[i] * v; }
        }
      }
      workgroupBarrier();
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let r = ty * 4u + i;
    if (r < rows) {
      let l = rowSum[r];
      for (var k = 0u; k < NC; k++) {
        let j = tx + 16u * k;
        if (j < D) { O[(r0 + r) * qStride + h * D + j] = select(0.0, acc[i][k] / l, l > 0.0); }
      }
    }
  }
}`;
}

/** Prefill attention with the tiled kernel; null where the device's workgroup memory cannot hold it. */
export function attentionPrefill(ctx: GpuContext, q: GpuTensor, store: GpuKvStore, positions: Int32Array, p: AttentionParams, dMax: number): GpuTensor | null {
  const vc = prefillValueChunk(ctx, dMax);
  if (vc === 0) return null;
  const T = q.rows;
  const out = newTensor(ctx, q.shape);
  const pipeline = ctx.pipeline(`attention-prefill:${dMax}:${vc}`, () => prefillWgsl(dMax, vc));
  const params = ctx.params([T, ...attentionParamWords(p, store.used)]);
  ctx.dispatch(pipeline, [params, bindTensor(q), bindTensor(out), ...storeBindings(store), ctx.upload(positions)], [Math.ceil(T / BR), p.numHeads, 1]);
  return out;
}
