/**
 * Gemma 4 mixture of experts (spec §4.8) with gradients. Routing is the reference's: softmax over all E,
 * top-k, renormalise, × per-expert scale (w_k = p_k/Σ_chosen p · s_k). The top-k choice itself is a step
 * function (no gradient); gradients flow through the chosen weights into the router logits and the
 * per-expert scales, and through each chosen expert's gated MLP into x, gate_up and down.
 */
import type { MoeParams } from "../../backends/ops.js";
import { geluExact, geluTanh } from "../../backends/reference/math.js";
import { route } from "../../backends/reference/moe.js";
import { RefTensor, RefWeight } from "../../backends/reference/tensors.js";
import { geluExactDerivative, geluTanhDerivative } from "./elementwise-ops.js";
import type { Parameter } from "./parameter.js";
import { type Tape, Variable } from "./tape.js";

export function moeOp(tape: Tape, x: Variable, routerLogits: Variable, perExpertScale: Parameter, gateUp: Parameter, down: Parameter, params: MoeParams): Variable {
  const [E, twoIm, H] = gateUp.shape as [number, number, number];
  const Im = twoIm / 2;
  const K = params.topK;
  if (x.cols !== H || down.shape[1] !== H || down.shape[2] !== Im || routerLogits.cols !== E) throw new Error("moe: shapes do not fit");
  const act = params.activation === "gelu_tanh" ? geluTanh : geluExact;
  const actDerivative = params.activation === "gelu_tanh" ? geluTanhDerivative : geluExactDerivative;
  const { experts, weights } = route(new RefTensor(routerLogits.shape, routerLogits.data), new RefWeight(perExpertScale.shape, "f32", perExpertScale.data), K);
  const T = x.rows;
  const gu = gateUp.data;
  const dn = down.data;
  const gates = new Float32Array(T * K * Im);
  const ups = new Float32Array(T * K * Im);
  const expertOut = new Float32Array(T * K * H); // y_k = down_e · hidden, before weighting
  const out = new Float64Array(T * H);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < K; k++) {
      const e = experts[t * K + k]!;
      const w = weights[t * K + k]!;
      const slot = t * K + k;
      for (let i = 0; i < Im; i++) {
        gates[slot * Im + i] = rowDot(gu, (e * twoIm + i) * H, x.data, t * H, H);
        ups[slot * Im + i] = rowDot(gu, (e * twoIm + Im + i) * H, x.data, t * H, H);
      }
      const hidden = new Float32Array(Im);
      for (let i = 0; i < Im; i++) hidden[i] = act(gates[slot * Im + i]!) * ups[slot * Im + i]!;
      for (let o = 0; o < H; o++) {
        const y = rowDot(dn, (e * H + o) * Im, hidden, 0, Im);
        expertOut[slot * H + o] = y;
        out[t * H + o] += y * w;
      }
    }
  }
  const trains = gateUp.trainable || down.trainable || perExpertScale.trainable;
  const result = new Variable(x.shape, Float32Array.from(out), x.requiresGrad || routerLogits.requiresGrad || trains);
  if (!result.requiresGrad) return result;
  tape.record(() => {
    const g = result.grad;
    if (!g) return;
    const dx = x.requiresGrad ? x.gradBuffer() : null;
    const dGateUp = gateUp.trainable ? gateUp.gradBuffer() : null;
    const dDown = down.trainable ? down.gradBuffer() : null;
    const dScale = perExpertScale.trainable ? perExpertScale.gradBuffer() : null;
    const dLogits = routerLogits.requiresGrad ? routerLogits.gradBuffer() : null;
    const dWeight = new Float64Array(K);
    const hidden = new Float32Array(Im);
    const dHidden = new Float64Array(Im);
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < K; k++) {
        const e = experts[t * K + k]!;
        const w = weights[t * K + k]!;
        const slot = t * K + k;
        let dw = 0;
        for (let o = 0; o < H; o++) dw += g[t * H + o]! * expertOut[slot * H + o]!;
        dWeight[k] = dw;
        for (let i = 0; i < Im; i++) hidden[i] = act(gates[slot * Im + i]!) * ups[slot * Im + i]!;
        dHidden.fill(0);
        for (let o = 0; o < H; o++) {
          const go = g[t * H + o]! * w;
          const base = (e * H + o) * Im;
          for (let i = 0; i < Im; i++) dHidden[i] += go * dn[base + i]!;
          if (dDown) for (let i = 0; i < Im; i++) dDown[base + i] += go * hidden[i]!;
        }
        for (let i = 0; i < Im; i++) {
          const gate = gates[slot * Im + i]!;
          const dGate = dHidden[i]! * ups[slot * Im + i]! * actDerivative(gate);
          const dUp = dHidden[i]! * act(gate);
          const gRow = (e * twoIm + i) * H;
          const uRow = (e * twoIm + Im + i) * H;
          if (dx) for (let j = 0; j < H; j++) dx[t * H + j] += dGate * gu[gRow + j]! + dUp * gu[uRow + j]!;
          if (dGateUp) {
            for (let j = 0; j < H; j++) {
              dGateUp[gRow + j] += dGate * x.data[t * H + j]!;
              dGateUp[uRow + j] += dUp * x.data[t * H + j]!;
            }
          }
        }
      }
      routingBackward(routerLogits.data, t * E, E, experts, t * K, K, perExpertScale.data, dWeight, dScale, dLogits);
    }
  });
  return result;
}

/** Gradient of w_k = p_{e_k}/S · s_{e_k} (S = Σ chosen p, p = softmax(logits)) into logits and scales. */
function routingBackward(
  logits: Float32Array, base: number, E: number, experts: Int32Array, kBase: number, K: number,
  scales: Float32Array, dWeight: Float64Array, dScale: Float32Array | null, dLogits: Float32Array | null,
): void {
  let max = -Infinity;
  for (let e = 0; e < E; e++) max = Math.max(max, logits[base + e]!);
  const probs = new Float64Array(E);
  let sum = 0;
  for (let e = 0; e < E; e++) sum += (probs[e] = Math.exp(logits[base + e]! - max));
  for (let e = 0; e < E; e++) probs[e]! /= sum;
  let chosen = 0;
  for (let k = 0; k < K; k++) chosen += probs[experts[kBase + k]!]!;
  // q_k = p_k / S; dq_k = dw_k · s_k.
  let qDot = 0;
  for (let k = 0; k < K; k++) {
    const e = experts[kBase + k]!;
    const q = probs[e]! / chosen;
    if (dScale) dScale[e] += dWeight[k]! * q;
    qDot += dWeight[k]! * scales[e]! * probs[e]!;
  }
  if (!dLogits) return;
  const dProbs = new Float64Array(E);
  for (let k = 0; k < K; k++) {
    const e = experts[kBase + k]!;
    dProbs[e] = (dWeight[k]! * scales[e]!) / chosen - qDot / (chosen * chosen);
  }
  let pDot = 0;
  for (let e = 0; e < E; e++) pDot += probs[e]! * dProbs[e]!;
  for (let e = 0; e < E; e++) dLogits[base + e] += probs[e]! * (dProbs[e]! - pDot);
}

function rowDot(a: Float32Array, aBase: number, b: Float32Array, bBase: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[aBase + i]! * b[bBase + i]!;
  return Math.fround(s);
}
