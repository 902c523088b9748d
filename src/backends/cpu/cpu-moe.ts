/**
 * Gemma 4 mixture of experts on the CPU backend (spec §4.8), composed of the backend's own kernels: routing
 * on the host (softmax over all experts, top-k, renormalise, × per-expert scale, as the reference), then
 * for each expert the rows of its tokens through gate/up/down as row ranges of the stacked expert weights.
 */
import type { MoeParams } from "../ops.js";
import type { CpuBackend } from "./cpu-backend.js";
import type { CpuTensor, CpuWeight } from "./cpu-tensors.js";

interface Routing {
  readonly experts: Int32Array; // [T, k]
  readonly weights: Float32Array; // [T, k]
}

function route(logits: Float32Array, E: number, perExpertScale: Float32Array, topK: number): Routing {
  const T = logits.length / E;
  const experts = new Int32Array(T * topK);
  const weights = new Float32Array(T * topK);
  const probs = new Float32Array(E);
  for (let t = 0; t < T; t++) {
    const row = logits.subarray(t * E, (t + 1) * E);
    let max = -Infinity;
    for (const l of row) max = Math.max(max, l);
    let sum = 0;
    for (let e = 0; e < E; e++) sum += Math.exp(row[e]! - max);
    for (let e = 0; e < E; e++) probs[e] = Math.exp(row[e]! - max) / sum;
    // Top-k by probability; ties go to the lower expert index.
    const order = Array.from({ length: E }, (_, e) => e).sort((a, b) => probs[b]! - probs[a]! || a - b).slice(0, topK);
    let chosen = 0;
    for (const e of order) chosen += probs[e]!;
    order.forEach((e, i) => {
      experts[t * topK + i] = e;
      weights[t * topK + i] = Math.fround(Math.fround(probs[e]! / Math.fround(chosen)) * perExpertScale[e]!);
    });
  }
  return { experts, weights };
}

export function moe(backend: CpuBackend, x: CpuTensor, logits: Float32Array, E: number, perExpertScale: Float32Array,
  gateUp: CpuWeight, down: CpuWeight, params: MoeParams): CpuTensor {
  const [numExperts, twoIm, H] = gateUp.shape as [number, number, number];
  const Im = twoIm / 2;
  if (numExperts !== E || x.cols !== H || down.shape[1] !== H || down.shape[2] !== Im) throw new Error("moe: shapes do not fit");
  const { experts, weights } = route(logits, E, perExpertScale, params.topK);
  const T = x.rows;
  const xs = backend.readSync(x);
  const out = new Float64Array(T * H);
  for (let e = 0; e < E; e++) {
    const tokens: number[] = [];
    const tokenWeights: number[] = [];
    for (let i = 0; i < experts.length; i++) {
      if (experts[i] === e) {
        tokens.push(Math.floor(i / params.topK));
        tokenWeights.push(weights[i]!);
      }
    }
    if (tokens.length === 0) continue;
    const rows = new Float32Array(tokens.length * H);
    tokens.forEach((t, i) => rows.set(xs.subarray(t * H, (t + 1) * H), i * H));
    const y = backend.tidy(() => {
      const xe = backend.fromHost(rows, [tokens.length, H]) as CpuTensor;
      const gate = backend.product(xe, gateUp, e * twoIm, Im);
      const up = backend.product(xe, gateUp, e * twoIm + Im, Im);
      const hidden = backend.gatedActivation(gate, up, params.activation) as CpuTensor;
      return backend.product(hidden, down, e * H, H);
    });
    const ys = backend.readSync(y);
    backend.release(y);
    tokens.forEach((t, i) => {
      const w = tokenWeights[i]!;
      for (let o = 0; o < H; o++) out[t * H + o] += ys[i * H + o]! * w;
    });
  }
  return backend.fromHost(Float32Array.from(out), x.shape) as CpuTensor;
}
