/**
 * Gemma 4 mixture of experts (spec §4.8) on the device: routing (softmax over all experts, top-k with ties
 * to the lower index, renormalise, × per-expert scale) runs one thread per token, so expert choices never
 * leave the GPU; then each chosen expert's gated MLP: [g; u] = gateUp[e]·x, h = act(g) ⊙ u, and
 * out = Σ_k weight_k · down[e_k]·h_k. Weights split into chunks hold whole experts; each chunk's dispatch
 * handles the tokens routed to its experts and the down projection accumulates across chunks.
 */
import type { MoeParams } from "../ops.js";
import { FLAT_WORKGROUP, type GpuContext } from "./gpu-context.js";
import type { GpuTensor, GpuWeight } from "./gpu-tensors.js";
import { MATH_WGSL } from "./elementwise.js";
import { reduceSumWgsl } from "./reduce-wgsl.js";
import { bindTensor, newTensor, releaseTensor } from "./tensor-alloc.js";
import { chunkBindings, weightWgsl } from "./weight-storage.js";

function routeWgsl(scale: GpuWeight): string {
  return `
struct Params { T: u32, E: u32, topK: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> Experts: array<u32>;
@group(0) @binding(3) var<storage, read_write> Weights: array<f32>;
${weightWgsl(scale.storedDtype, 4, false)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= P.T) { return; }
  let base = t * P.E;
  var mx = Logits[base];
  for (var e = 1u; e < P.E; e++) { mx = max(mx, Logits[base + e]); }
  var sum = 0.0;
  for (var e = 0u; e < P.E; e++) { sum += exp(Logits[base + e] - mx); }
  // k picks in (probability desc, index asc) order: each pick is the best entry after the previous one.
  var prevP = 2.0;
  var prevE = 0u;
  var chosen = 0.0;
  for (var k = 0u; k < P.topK; k++) {
    var bestP = -1.0;
    var bestE = 0u;
    for (var e = 0u; e < P.E; e++) {
      let p = exp(Logits[base + e] - mx) / sum;
      let after = p < prevP || (p == prevP && e > prevE);
      if (after && p > bestP) { bestP = p; bestE = e; }
    }
    Experts[t * P.topK + k] = bestE;
    Weights[t * P.topK + k] = bestP;
    chosen += bestP;
    prevP = bestP;
    prevE = bestE;
  }
  for (var k = 0u; k < P.topK; k++) {
    let i = t * P.topK + k;
    Weights[i] = (Weights[i] / chosen) * wAt(Experts[i]);
  }
}`;
}

const THREADS = 64;

function gateUpWgsl(w: GpuWeight, activation: MoeParams["activation"]): string {
  return `
struct Params { count: u32, H: u32, Im: u32, expertStart: u32, expertEnd: u32, topK: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Hidden: array<f32>;  // [T, topK, Im]
@group(0) @binding(5) var<storage, read> Experts: array<u32>;
${weightWgsl(w.storedDtype, 3, false)}
${MATH_WGSL}
${reduceSumWgsl(THREADS, "sumG")}
${reduceSumWgsl(THREADS, "sumU")}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let n = ${FLAT_WORKGROUP};          // (t, k, i) flattened
  let valid = n < P.count;
  let tk = n / P.Im;
  let i = n % P.Im;
  var e = 0u;
  if (valid) { e = Experts[tk]; }
  let mine = valid && e >= P.expertStart && e < P.expertEnd;
  var g = 0.0;
  var u = 0.0;
  if (mine) {
    let gRow = ((e - P.expertStart) * 2u * P.Im + i) * P.H;
    let uRow = gRow + P.Im * P.H;
    let xBase = (tk / P.topK) * P.H;
    for (var c = lid.x; c < P.H; c += ${THREADS}u) {
      let xv = X[xBase + c];
      g += xv * wAt(gRow + c);
      u += xv * wAt(uRow + c);
    }
  }
  let gs = sumG(g, lid.x);
  let us = sumU(u, lid.x);
  if (mine && lid.x == 0u) { Hidden[n] = ${activation === "gelu_tanh" ? "geluTanh" : "geluExact"}(gs) * us; }
}`;
}

function downWgsl(w: GpuWeight): string {
  return `
struct Params { T: u32, H: u32, Im: u32, expertStart: u32, expertEnd: u32, topK: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Hidden: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(5) var<storage, read> Experts: array<u32>;
@group(0) @binding(6) var<storage, read> Weights: array<f32>;
${weightWgsl(w.storedDtype, 3, false)}
${reduceSumWgsl(THREADS)}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let n = ${FLAT_WORKGROUP};          // (t, o) flattened
  let valid = n < P.T * P.H;
  let t = n / P.H;
  let o = n % P.H;
  var total = 0.0;
  for (var k = 0u; k < P.topK; k++) {
    var e = 0u;
    var wk = 0.0;
    if (valid) { e = Experts[t * P.topK + k]; wk = Weights[t * P.topK + k]; }
    var s = 0.0;
    if (valid && e >= P.expertStart && e < P.expertEnd) {
      let row = ((e - P.expertStart) * P.H + o) * P.Im;
      let hBase = (t * P.topK + k) * P.Im;
      for (var c = lid.x; c < P.Im; c += ${THREADS}u) { s += Hidden[hBase + c] * wAt(row + c); }
    }
    total += s * wk;
  }
  let sum = reduceSum(total, lid.x);
  if (valid && lid.x == 0u) { Y[n] = select(0.0, Y[n], P.accumulate == 1u) + sum; }
}`;
}

export function moe(ctx: GpuContext, x: GpuTensor, routerLogits: GpuTensor, perExpertScale: GpuWeight, gateUp: GpuWeight, down: GpuWeight, params: MoeParams): GpuTensor {
  const [E, twoIm, H] = gateUp.shape as [number, number, number];
  const Im = twoIm / 2;
  if (x.cols !== H || down.shape[1] !== H || down.shape[2] !== Im || routerLogits.cols !== E) throw new Error("moe: shapes do not fit");
  const T = x.rows;
  const { topK } = params;
  const experts = newTensor(ctx, [T, topK]);
  const weights = newTensor(ctx, [T, topK]);
  ctx.dispatch(ctx.pipeline(`moe-route:${perExpertScale.storedDtype}`, () => routeWgsl(perExpertScale)), [
    ctx.params([T, E, topK]), bindTensor(routerLogits), bindTensor(experts), bindTensor(weights), ...chunkBindings(perExpertScale.chunks[0]!),
  ], Math.ceil(T / 64));

  const hidden = newTensor(ctx, [T * topK, Im]);
  const gateUpPipeline = ctx.pipeline(`moe-gate-up:${gateUp.storedDtype}:${params.activation}`, () => gateUpWgsl(gateUp, params.activation));
  for (const chunk of gateUp.chunks) {
    const start = chunk.rowStart / twoIm;
    const bindings = chunkBindings(chunk);
    ctx.dispatch(gateUpPipeline, [
      ctx.params([T * topK * Im, H, Im, start, start + chunk.rows / twoIm, topK]), bindTensor(x), bindTensor(hidden),
      bindings[0]!, bindings[1] ?? null, bindTensor(experts),
    ], T * topK * Im);
  }
  const y = newTensor(ctx, [T, H]);
  const downPipeline = ctx.pipeline(`moe-down:${down.storedDtype}`, () => downWgsl(down));
  down.chunks.forEach((chunk, i) => {
    const start = chunk.rowStart / H;
    const bindings = chunkBindings(chunk);
    ctx.dispatch(downPipeline, [
      ctx.params([T, H, Im, start, start + chunk.rows / H, topK, i > 0 ? 1 : 0]), bindTensor(hidden), bindTensor(y),
      bindings[0]!, bindings[1] ?? null, bindTensor(experts), bindTensor(weights),
    ], T * H);
  });
  for (const t of [experts, weights, hidden]) releaseTensor(ctx, t);
  return y;
}
