/**
 * Gemma 4 mixture of experts (spec §4.8): softmax over all experts, top-k, renormalise, × per-expert scale;
 * each chosen expert runs a gated MLP whose gate_up rows are [gate; up].
 */
import type { MoeParams } from "../ops.js";
import { geluExact, geluTanh } from "./math.js";
import { RefTensor, type RefWeight } from "./tensors.js";

export interface Routing {
  readonly experts: Int32Array; // [T, k]
  readonly weights: Float32Array; // [T, k]
}

export function route(routerLogits: RefTensor, perExpertScale: RefWeight, topK: number): Routing {
  const E = routerLogits.cols;
  const T = routerLogits.rows;
  const experts = new Int32Array(T * topK);
  const weights = new Float32Array(T * topK);
  const probs = new Float32Array(E);
  for (let t = 0; t < T; t++) {
    const logits = routerLogits.data.subarray(t * E, (t + 1) * E);
    let max = -Infinity;
    for (const l of logits) max = Math.max(max, l);
    let sum = 0;
    for (let e = 0; e < E; e++) sum += Math.exp(logits[e]! - max);
    for (let e = 0; e < E; e++) probs[e] = Math.exp(logits[e]! - max) / sum;
    // Top-k by probability; ties go to the lower expert index.
    const order = Array.from({ length: E }, (_, e) => e).sort((a, b) => probs[b]! - probs[a]! || a - b).slice(0, topK);
    let chosenSum = 0;
    for (const e of order) chosenSum += probs[e]!;
    order.forEach((e, i) => {
      experts[t * topK + i] = e;
      weights[t * topK + i] = Math.fround(Math.fround(probs[e]! / Math.fround(chosenSum)) * perExpertScale.at(e));
    });
  }
  return { experts, weights };
}

export function moe(x: RefTensor, routerLogits: RefTensor, perExpertScale: RefWeight, gateUp: RefWeight, down: RefWeight, params: MoeParams): RefTensor {
  const [E, twoIm, H] = gateUp.shape as [number, number, number];
  const Im = twoIm / 2;
  if (x.cols !== H || down.shape[1] !== H || down.shape[2] !== Im || routerLogits.cols !== E) throw new Error("moe: shapes do not fit");
  const act = params.activation === "gelu_tanh" ? geluTanh : geluExact;
  const { experts, weights } = route(routerLogits, perExpertScale, params.topK);
  const out = new Float64Array(x.data.length);
  const row = new Float32Array(H);
  const downRow = new Float32Array(Im);
  const hidden = new Float32Array(Im);
  for (let t = 0; t < x.rows; t++) {
    const xt = x.data.subarray(t * H, (t + 1) * H);
    for (let k = 0; k < params.topK; k++) {
      const e = experts[t * params.topK + k]!;
      const w = weights[t * params.topK + k]!;
      const dot = (r: number): number => {
        gateUp.decode((e * twoIm + r) * H, row);
        let s = 0;
        for (let i = 0; i < H; i++) s += xt[i]! * row[i]!;
        return Math.fround(s);
      };
      for (let i = 0; i < Im; i++) hidden[i] = act(dot(i)) * dot(Im + i);
      for (let o = 0; o < H; o++) {
        down.decode((e * H + o) * Im, downRow);
        let s = 0;
        for (let i = 0; i < Im; i++) s += hidden[i]! * downRow[i]!;
        out[t * H + o] += Math.fround(s) * w;
      }
    }
  }
  return new RefTensor(x.shape, Float32Array.from(out));
}
