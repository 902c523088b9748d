/**
 * Linear layers and embeddings with their gradients: matmul x·Wᵀ (the decoder's every projection and the
 * output head), LoRA's low-rank update composed from the same pieces, inverted dropout, and the embedding
 * lookup (whose gradient scatters rows back into the table; a tied head adds its dense gradient to the same
 * table because it is the same Parameter).
 */
import { gemmNN, gemmNT, gemmTN } from "./gemm.js";
import { type LoraWeight, Parameter } from "./parameter.js";
import { accumulate, type Tape, Variable } from "./tape.js";

/** x [T, in] · wᵀ with w [out, in] → [T, out]. */
export function matmulOp(tape: Tape, x: Variable, w: Parameter): Variable {
  const [outDim, inDim] = w.shape as [number, number];
  if (w.shape.length !== 2 || x.cols !== inDim) throw new Error(`matmul: x [${x.shape}] · w [${w.shape}]ᵀ do not fit`);
  const T = x.rows;
  const data = new Float32Array(T * outDim);
  gemmNT(x.data, w.data, data, T, outDim, inDim);
  const out = new Variable([T, outDim], data, x.requiresGrad || w.trainable);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      if (x.requiresGrad) gemmNN(g, w.data, x.gradBuffer(), T, inDim, outDim, true); // dx = g·W
      if (w.trainable) gemmTN(g, x.data, w.gradBuffer(), outDim, inDim, T, true); // dW += gᵀ·x
    });
  }
  return out;
}

/** Rows `ids` of table [V, N] times `scale`. */
export function embedOp(tape: Tape, table: Parameter, ids: Int32Array, scale: number): Variable {
  const [V, N] = table.shape as [number, number];
  const s = Math.fround(scale);
  const data = new Float32Array(ids.length * N);
  ids.forEach((id, t) => {
    if (!(id >= 0 && id < V)) throw new RangeError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
    for (let i = 0; i < N; i++) data[t * N + i] = table.data[id * N + i]! * s;
  });
  const out = new Variable([ids.length, N], data, table.trainable);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      const dTable = table.gradBuffer();
      ids.forEach((id, t) => {
        for (let i = 0; i < N; i++) dTable[id * N + i] += g[t * N + i]! * s;
      });
    });
  }
  return out;
}

/** Inverted dropout: keeps each value with probability 1 − p and scales it by 1/(1 − p). `uniform(i)` ∈ [0, 1). */
export function dropoutOp(tape: Tape, x: Variable, p: number, uniform: (i: number) => number): Variable {
  if (p <= 0) return x;
  const keep = 1 / (1 - p);
  const mask = new Float32Array(x.data.length);
  for (let i = 0; i < mask.length; i++) mask[i] = uniform(i) >= p ? keep : 0;
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = x.data[i]! * mask[i]!;
  const out = new Variable(x.shape, data, x.requiresGrad);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      const dx = x.gradBuffer();
      for (let i = 0; i < dx.length; i++) dx[i] += g[i]! * mask[i]!;
    });
  }
  return out;
}

/** PEFT's LoRA Linear: x·Wᵀ + scaling·(dropout(x)·Aᵀ)·Bᵀ, built from the ops above. */
export function loraMatmulOp(tape: Tape, x: Variable, w: LoraWeight, uniform: ((i: number) => number) | null): Variable {
  const base = matmulOp(tape, x, w.base);
  const dropped = uniform ? dropoutOp(tape, x, w.dropout, uniform) : x;
  const low = matmulOp(tape, matmulOp(tape, dropped, w.loraA), w.loraB); // [T, out]
  return addScaledOp(tape, base, low, w.scaling);
}

/** a + s·b. */
export function addScaledOp(tape: Tape, a: Variable, b: Variable, s: number): Variable {
  if (a.data.length !== b.data.length) throw new Error(`shapes [${a.shape}] and [${b.shape}] differ`);
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i]! + b.data[i]! * s;
  const out = new Variable(a.shape, data, a.requiresGrad || b.requiresGrad);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      if (a.requiresGrad) accumulate(a.gradBuffer(), g);
      if (b.requiresGrad) {
        const db = b.gradBuffer();
        for (let i = 0; i < db.length; i++) db[i] += g[i]! * s;
      }
    });
  }
  return out;
}
