/**
 * Choosing tokens on the device, so a decode step reads back a few bytes instead of the vocabulary:
 * - sampleGreedy: per row of logits, the index of the largest value (ties to the lower index, as the host
 *   sampler) and its log-probability −log Σ exp(x − max);
 * - topLogits: the k largest logits of a row, for a sampler with top-k. An exact selection in three passes
 *   over the row: a histogram of the logits' top 16 bits (as order-preserving integer keys: sign, exponent
 *   and 7 mantissa bits, so a bin spans 1/128 of an octave) and the row maximum; the bin that holds the k-th
 *   largest; every logit in that bin or above, with Σ exp(x − max) per workgroup. Those candidates (k and
 *   the rest of the boundary bin) come back and the host sorts them as its own top-k would, so the chosen
 *   set, order and values are exactly the host's.
 */
import { checkTopLogits, type GreedySample, type TopLogits } from "../ops.js";
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

/** Histogram bins: the top 16 bits of a key (THREADS² of them, for the threshold kernel). */
const BINS = 65536;
const BIN_SHIFT = 16;
/** Candidates a row may return; more (a crowded boundary bin) and the caller reads the row instead. */
const MAX_CANDIDATES = 4096;
/** Logits per workgroup in the histogram and collect passes (8 per thread). */
const SLICE = 2048;

/** WGSL: the order-preserving u32 key of a float (−0 as +0, so equal values share a key) and back. */
const KEY_WGSL = `
fn keyOf(x: f32) -> u32 {
  // −0 → +0 on the bits: a float comparison may ignore the sign of zero, and be folded away.
  let bits = bitcast<u32>(x);
  let u = select(bits, 0u, (bits & 0x7fffffffu) == 0u);
  return select(u | 0x80000000u, ~u, (u & 0x80000000u) != 0u);
}
fn valueOf(key: u32) -> f32 { return bitcast<f32>(select(~key, key & 0x7fffffffu, (key & 0x80000000u) != 0u)); }`;

/** Out, per row: a 4-word header (candidates found, max key, threshold bin, unused) for every row first,
 *  then per row the workgroups' Σ exp(x − max) and the candidates as (index, value bits) pairs. */
const HEADER_WORDS = 4;

const TOPK_PARAMS = `
struct Params { rows: u32, V: u32, groups: u32, k: u32, rowWords: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;`;

const TOPK_HISTOGRAM_WGSL = `${TOPK_PARAMS}
@group(0) @binding(2) var<storage, read_write> Hist: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> Out: array<atomic<u32>>;
${KEY_WGSL}
var<workgroup> localMax: atomic<u32>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let flat = ${FLAT_WORKGROUP};
  let row = flat / P.groups;
  let valid = row < P.rows;
  if (lid.x == 0u) { atomicStore(&localMax, 0u); }
  workgroupBarrier();
  var best = 0u;
  if (valid) {
    let begin = (flat % P.groups) * ${SLICE}u;
    let end = min(P.V, begin + ${SLICE}u);
    for (var i = begin + lid.x; i < end; i += ${THREADS}u) {
      let key = keyOf(X[row * P.V + i]);
      atomicAdd(&Hist[row * ${BINS}u + (key >> ${BIN_SHIFT}u)], 1u);
      best = max(best, key);
    }
  }
  atomicMax(&localMax, best);
  workgroupBarrier();
  if (valid && lid.x == 0u) { atomicMax(&Out[row * ${HEADER_WORDS}u + 1u], atomicLoad(&localMax)); }
}`;

/** One workgroup per row: thread t sums bins [256t, 256t + 256); thread 0 finds the range where the count
 *  from the top reaches k, the workgroup loads that range, thread 0 finds the bin. */
const TOPK_THRESHOLD_WGSL = `
struct Params { rows: u32, V: u32, groups: u32, k: u32, rowWords: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Hist: array<u32>;
@group(0) @binding(2) var<storage, read_write> Out: array<u32>;
const RANGE = ${BINS / THREADS}u;
var<workgroup> counts: array<u32, ${THREADS}>;
var<workgroup> chosen: u32;
var<workgroup> above: u32;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = ${FLAT_WORKGROUP};
  let base = row * ${BINS}u;
  let valid = row < P.rows;
  var s = 0u;
  if (valid) { for (var i = 0u; i < RANGE; i++) { s += Hist[base + lid.x * RANGE + i]; } }
  counts[lid.x] = s;
  workgroupBarrier();
  if (lid.x == 0u) {
    var n = 0u;
    var range = 0u;
    for (var t = ${THREADS - 1}i; t >= 0; t--) {
      if (n + counts[t] >= P.k) { range = u32(t); break; }
      n += counts[t];
    }
    chosen = range;
    above = n;
  }
  workgroupBarrier();
  let range = chosen;
  if (valid) { counts[lid.x] = Hist[base + range * RANGE + lid.x]; }
  workgroupBarrier();
  if (valid && lid.x == 0u) {
    var n = above;
    var threshold = range * RANGE;
    for (var b = ${THREADS - 1}i; b >= 0; b--) {
      n += counts[b];
      if (n >= P.k) { threshold = range * RANGE + u32(b); break; }
    }
    Out[row * ${HEADER_WORDS}u + 2u] = threshold;
  }
}`;

const TOPK_COLLECT_WGSL = `${TOPK_PARAMS}
@group(0) @binding(2) var<storage, read_write> Out: array<atomic<u32>>;
${KEY_WGSL}
${reduceSumWgsl(THREADS)}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let flat = ${FLAT_WORKGROUP};
  let row = flat / P.groups;
  let group = flat % P.groups;
  let valid = row < P.rows;
  var sum = 0.0;
  if (valid) {
    let header = row * ${HEADER_WORDS}u;
    let threshold = atomicLoad(&Out[header + 2u]);
    let maxValue = valueOf(atomicLoad(&Out[header + 1u]));
    let items = P.rows * ${HEADER_WORDS}u + row * P.rowWords;
    let begin = group * ${SLICE}u;
    let end = min(P.V, begin + ${SLICE}u);
    for (var i = begin + lid.x; i < end; i += ${THREADS}u) {
      let x = X[row * P.V + i];
      sum += select(exp(x - maxValue), 1.0, x == maxValue); // the max's own term, also where it is ±∞
      if ((keyOf(x) >> ${BIN_SHIFT}u) >= threshold) {
        let slot = atomicAdd(&Out[header], 1u);
        if (slot < ${MAX_CANDIDATES}u) {
          atomicStore(&Out[items + P.groups + 2u * slot], i);
          atomicStore(&Out[items + P.groups + 2u * slot + 1u], bitcast<u32>(x));
        }
      }
    }
  }
  let total = reduceSum(sum, lid.x);
  if (valid && lid.x == 0u) { atomicStore(&Out[P.rows * ${HEADER_WORDS}u + row * P.rowWords + group], bitcast<u32>(total)); }
}`;

/** The k largest logits of a one-row `logits` [1, V] (see the file comment); null when more than
 *  MAX_CANDIDATES logits fall in the bins at or above the k-th largest's. */
export async function topLogits(ctx: GpuContext, logits: GpuTensor, k: number): Promise<TopLogits | null> {
  const V = logits.cols;
  checkTopLogits(logits.rows, V, k);
  const rows = 1;
  const groups = Math.ceil(V / SLICE);
  const rowWords = groups + 2 * MAX_CANDIDATES;
  const hist = newTensor(ctx, [rows * BINS]);
  const out = newTensor(ctx, [rows * (HEADER_WORDS + rowWords)]);
  ctx.clear(hist.buffer, 0, hist.bytes);
  ctx.clear(out.buffer, 0, rows * HEADER_WORDS * 4);
  const params = ctx.params([rows, V, groups, k, rowWords]);
  const x = bindTensor(logits);
  ctx.dispatch(ctx.pipeline("topk-histogram", () => TOPK_HISTOGRAM_WGSL), [params, x, bindTensor(hist), bindTensor(out)], rows * groups);
  ctx.dispatch(ctx.pipeline("topk-threshold", () => TOPK_THRESHOLD_WGSL), [params, bindTensor(hist), bindTensor(out)], rows);
  ctx.dispatch(ctx.pipeline("topk-collect", () => TOPK_COLLECT_WGSL), [params, x, bindTensor(out)], rows * groups);
  const pending = ctx.readBack(out.buffer, 0, out.bytes);
  releaseTensor(ctx, hist);
  releaseTensor(ctx, out);
  const words = new Uint32Array(await pending);
  const found = words[0]!;
  if (found > MAX_CANDIDATES) return null;
  const items = rows * HEADER_WORDS;
  const floats = new Float32Array(words.buffer);
  let sum = 0;
  for (let g = 0; g < groups; g++) sum += floats[items + g]!;
  const order = Array.from({ length: found }, (_, i) => i);
  const idOf = (c: number): number => words[items + groups + 2 * c]!;
  const valueOf = (c: number): number => floats[items + groups + 2 * c + 1]!;
  order.sort((a, b) => valueOf(b) - valueOf(a) || idOf(a) - idOf(b));
  const chosen = order.slice(0, k);
  const ids = Int32Array.from(chosen, idOf);
  const values = Float32Array.from(chosen, valueOf);
  return { ids, values, logSumExp: values[0]! + Math.log(sum) };
}
