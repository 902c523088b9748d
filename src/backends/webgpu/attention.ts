/**
 * Attention over the KV store on the device (spec §1.5, §2); kv-write.ts fills the store.
 * attention is one flash-style kernel for decode and prefill: a workgroup takes a tile of query rows of one
 * head, walks the store's slots in tiles (K tile → masked, scaled, softcapped scores → online softmax →
 * V tile), so no [T, slots] score matrix is ever stored. The mask uses the positions stored in the slots
 * (p ≤ q, and q − p < W on sliding layers), so ring-buffer order does not matter. Tile sizes follow the
 * device's workgroup memory (q, o and one K/V tile live there). A slot tile that no query row of the
 * workgroup can see (causally ahead of all of them, or behind all their windows) is skipped whole, which
 * halves a causal prefill's work. A single query row (decode) goes to attention-decode.ts instead, which
 * splits the slots over many workgroups; on GPUs (not CPU adapters) prefill goes to attention-prefill.ts.
 */
import type { AttentionParams } from "../ops.js";
import type { GpuContext } from "./gpu-context.js";
import type { GpuKvStore, GpuTensor } from "./gpu-tensors.js";
import { attentionHeaderWgsl, attentionParamWords, onlineSoftmaxWgsl, storeBindings } from "./attention-common.js";
import { bindTensor, newTensor } from "./tensor-alloc.js";
import { attentionDecode } from "./attention-decode.js";
import { attentionPrefill } from "./attention-prefill.js";
import { ensureSlots } from "./kv-write.js";

/** Threads per prefill workgroup: workgroup memory allows only one or two workgroups per GPU core, so
 *  each needs enough threads (8 warps) to hide memory latency. */
const THREADS = 256;

/** Tiles are sized for dMax (the head dim rounded up to a power of two); D itself is a runtime value, so
 *  head dims of one size class share a pipeline (each pipeline is a shader compile). */
function attentionWgsl(dMax: number, br: number, bc: number): string {
  const d = dMax;
  return `
${attentionHeaderWgsl("O", "T: u32", "")}
const BR = ${br}u;
const BC = ${bc}u;
// q and K/V rows are stored D + 1 apart so that threads reading the same column of different rows hit
// different memory banks.
var<workgroup> qs: array<f32, ${br * (d + 1)}>;
var<workgroup> kv: array<f32, ${bc * (d + 1)}>;
var<workgroup> acc: array<f32, ${br * d}>;
var<workgroup> S: array<f32, ${br * bc}>;
var<workgroup> tileLive: u32;
${onlineSoftmaxWgsl("BC", br)}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let D = P.D;
  let DP = D + 1u;
  let h = wid.y;
  let kvh = h / P.group;
  let r0 = wid.x * BR;
  let qStride = P.numHeads * D;
  for (var i = lid.x; i < BR * D; i += ${THREADS}u) {
    let r = i / D;
    var q = 0.0;
    if (r0 + r < P.T) { q = Q[(r0 + r) * qStride + h * D + i % D]; }
    qs[r * DP + i % D] = q;
    acc[i] = 0.0;
  }
  for (var r = lid.x; r < BR; r += ${THREADS}u) { rowMax[r] = NEG; rowSum[r] = 0.0; }
  var qMin = 0x7fffffff;
  var qMax = -1;
  for (var r = 0u; r < BR && r0 + r < P.T; r++) { qMin = min(qMin, QPos[r0 + r]); qMax = max(qMax, QPos[r0 + r]); }
  workgroupBarrier();
  for (var s0 = 0u; s0 < P.used; s0 += BC) {
    let nb = min(BC, P.used - s0);
    if (lid.x == 0u) { tileLive = 0u; }
    workgroupBarrier();
    for (var c = lid.x; c < nb; c += ${THREADS}u) {
      let kp = KPos[s0 + c];
      if (kp >= 0 && kp <= qMax && (P.window == 0u || qMin - kp < i32(P.window))) { tileLive = 1u; }
    }
    if (workgroupUniformLoad(&tileLive) == 0u) { continue; }
    for (var i = lid.x; i < nb * D; i += ${THREADS}u) { kv[(i / D) * DP + i % D] = K[((s0 + i / D) * P.numKvHeads + kvh) * D + i % D]; }
    workgroupBarrier();
    for (var i = lid.x; i < BR * BC; i += ${THREADS}u) {
      let r = i / BC;
      let c = i % BC;
      var score = NEG;
      if (r0 + r < P.T && c < nb) {
        let qp = QPos[r0 + r];
        let kp = KPos[s0 + c];
        if (kp >= 0 && kp <= qp && (P.window == 0u || u32(qp - kp) < P.window)) {
          var dotv = 0.0;
          for (var j = 0u; j < D; j++) { dotv += qs[r * DP + j] * kv[c * DP + j]; }
          score = dotv * P.scale;
          if (P.softcap > 0.0) { score = softcap(score, P.softcap); }
        }
      }
      S[i] = score;
    }
    workgroupBarrier();
    for (var r = lid.x; r < BR; r += ${THREADS}u) { softmaxRow(r); }
    workgroupBarrier();
    for (var i = lid.x; i < nb * D; i += ${THREADS}u) { kv[(i / D) * DP + i % D] = V[((s0 + i / D) * P.numKvHeads + kvh) * D + i % D]; }
    workgroupBarrier();
    for (var i = lid.x; i < BR * D; i += ${THREADS}u) {
      let r = i / D;
      let j = i % D;
      var a = acc[i] * rowAlpha[r];
      for (var c = 0u; c < nb; c++) { a += S[r * BC + c] * kv[c * DP + j]; }
      acc[i] = a;
    }
    workgroupBarrier();
  }
  for (var i = lid.x; i < BR * D; i += ${THREADS}u) {
    let r = i / D;
    if (r0 + r < P.T) {
      let l = rowSum[r];
      O[(r0 + r) * qStride + h * D + i % D] = select(0.0, acc[i] / l, l > 0.0);
    }
  }
}`;
}

/** Query rows and key slots per tile so that q, o and one K/V tile (q and K/V rows padded by one) fit the
 *  workgroup memory. */
function tileSizes(ctx: GpuContext, d: number, T: number): [number, number] {
  const floats = Math.floor(ctx.device.limits.maxComputeWorkgroupStorageSize / 4) - 64;
  const fits = (br: number, bc: number): boolean => br * (d + 1) + bc * (d + 1) + br * d + br * bc + 3 * br + 1 <= floats;
  let br = 1;
  while (br < 32 && fits(br + 1, br + 1)) br++;
  br = Math.min(br, T);
  let bc = 1;
  while (bc < 64 && fits(br, bc + 1)) bc++;
  return [br, bc];
}

export function attention(ctx: GpuContext, q: GpuTensor, store: GpuKvStore, positions: Int32Array, p: AttentionParams): GpuTensor {
  const { numHeads, numKvHeads, headDim: d } = p;
  if (store.numKvHeads !== numKvHeads || store.headDim !== d) throw new Error("attention: KV store geometry does not match");
  if (q.cols !== numHeads * d || positions.length !== q.rows) throw new Error(`attention: q [${q.shape}] vs ${numHeads} heads × ${d}`);
  const T = q.rows;
  if (store.used === 0) ensureSlots(ctx, store, 1);
  const dMax = Math.max(32, 2 ** Math.ceil(Math.log2(d)));
  if (T === 1) return attentionDecode(ctx, q, store, positions, p, dMax);
  // GPUs get the register-tiled kernel. CPU adapters keep this file's: the tiled one runs ~2.5× faster on
  // llvmpipe too, but compiles for seconds per head-dim class, which the test suite (many small prefills
  // over several head dims) would pay far more often than it gains.
  if (!ctx.simpleKernels) {
    const tiled = attentionPrefill(ctx, q, store, positions, p, dMax);
    if (tiled) return tiled;
  }
  const out = newTensor(ctx, q.shape);
  const [br, bc] = tileSizes(ctx, dMax, 32);
  const pipeline = ctx.pipeline(`attention:${dMax}:${br}:${bc}`, () => attentionWgsl(dMax, br, bc));
  const params = ctx.params([T, ...attentionParamWords(p, store.used)]);
  ctx.dispatch(pipeline, [params, bindTensor(q), bindTensor(out), ...storeBindings(store), ctx.upload(positions)], [Math.ceil(T / br), numHeads, 1]);
  return out;
}
