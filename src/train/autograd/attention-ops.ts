/**
 * Attention over a KV store, with gradients reaching the keys and values that were written into it.
 *
 * A `GradKvStore` remembers, for each slot, which Variable row its key and value came from, so attention's
 * gradient lands on the k/v projections of the layer that wrote them, including when a later KV-shared
 * layer reads them. Each head runs as matrix products (scores Q·Kᵀ, output P·V; masked entries are
 * computed and zeroed, which at training lengths costs less than scalar loops would). Rounding follows the
 * reference (scores float32, softmax sums in doubles); the backward recomputes P per head instead of
 * keeping [heads, T, S] values alive:
 *   dP = dO·Vᵀ,  dS = P⊙(dP − rowsum(P⊙dP)) [softcap: ·(1 − (s/c)²)],
 *   dQ = dS·scale·K,  dK = (dS·scale)ᵀ·Q,  dV = Pᵀ·dO.
 */
import type { AttentionParams, KvStore } from "../../backends/ops.js";
import { softcap } from "../../backends/reference/math.js";
import { gemmNN, gemmNT, gemmTN } from "./gemm.js";
import { type Tape, Variable } from "./tape.js";

export class GradKvStore implements KvStore {
  readonly keySource: (Variable | null)[] = [];
  readonly valueSource: (Variable | null)[] = [];
  /** Row of the source Variable each slot's key/value came from. */
  readonly sourceRow: number[] = [];
  /** Absolute position per slot; -1 = empty. */
  readonly positions: number[] = [];

  constructor(readonly numKvHeads: number, readonly headDim: number, readonly capacity: number) {}

  get rowSize(): number {
    return this.numKvHeads * this.headDim;
  }
}

export function asGradStore(s: KvStore): GradKvStore {
  if (!(s instanceof GradKvStore)) throw new Error("KV store does not belong to the training backend");
  return s;
}

/**
 * Writes k, v [T, kvDim] into `slots`. When `replaying` a recomputed layer, a slot's previous key/value may
 * already hold gradient from later layers that read it (KV sharing); that gradient moves to the new rows.
 */
export function writeKvOp(store: GradKvStore, k: Variable, v: Variable, slots: Int32Array, positions: Int32Array, replaying: boolean): void {
  const row = store.rowSize;
  if (k.cols !== row || v.cols !== row || k.rows !== slots.length || v.rows !== slots.length || positions.length !== slots.length) {
    throw new Error(`writeKv: k [${k.shape}], v [${v.shape}] do not fit rows of ${row} at ${slots.length} slots`);
  }
  for (let t = 0; t < slots.length; t++) {
    const s = slots[t]!;
    if (s < 0 || s >= store.capacity) throw new Error(`KV slot ${s} is beyond the store's capacity ${store.capacity}`);
    while (store.positions.length <= s) {
      store.positions.push(-1);
      store.keySource.push(null);
      store.valueSource.push(null);
      store.sourceRow.push(0);
    }
    if (replaying) {
      carryGradient(store.keySource[s] ?? null, store.sourceRow[s]!, k, t, row);
      carryGradient(store.valueSource[s] ?? null, store.sourceRow[s]!, v, t, row);
    }
    store.keySource[s] = k;
    store.valueSource[s] = v;
    store.sourceRow[s] = t;
    store.positions[s] = positions[t]!;
  }
}

function carryGradient(old: Variable | null, oldRow: number, next: Variable, row: number, size: number): void {
  if (!old?.grad || !next.requiresGrad) return;
  const g = next.gradBuffer();
  for (let i = 0; i < size; i++) g[row * size + i] += old.grad[oldRow * size + i]!;
}

export function attentionOp(tape: Tape, q: Variable, store: GradKvStore, positions: Int32Array, p: AttentionParams): Variable {
  const { numHeads, numKvHeads, headDim: d } = p;
  if (store.numKvHeads !== numKvHeads || store.headDim !== d) throw new Error("attention: KV store geometry does not match");
  if (q.cols !== numHeads * d || positions.length !== q.rows) throw new Error(`attention: q [${q.shape}] vs ${numHeads} heads × ${d}`);
  const row = store.rowSize;
  // Gather the filled slots into contiguous K and V [S, kvDim].
  const filled: number[] = [];
  for (let s = 0; s < store.positions.length; s++) if (store.positions[s]! >= 0) filled.push(s);
  const S = filled.length;
  const keys = new Float32Array(S * row);
  const values = new Float32Array(S * row);
  const kvPos = new Int32Array(S);
  filled.forEach((s, i) => {
    const r = store.sourceRow[s]!;
    keys.set(store.keySource[s]!.data.subarray(r * row, (r + 1) * row), i * row);
    values.set(store.valueSource[s]!.data.subarray(r * row, (r + 1) * row), i * row);
    kvPos[i] = store.positions[s]!;
  });
  const T = q.rows;
  const mask = visibility(positions, kvPos, p.window); // [T, S]: 1 where the query sees the key
  const group = numHeads / numKvHeads;
  const out = new Float32Array(q.data.length);
  const probs = new Float32Array(T * S);
  for (let h = 0; h < numHeads; h++) {
    const kvHead = Math.floor(h / group);
    const qh = columns(q.data, T, q.cols, h * d, d);
    const kh = columns(keys, S, row, kvHead * d, d);
    const vh = columns(values, S, row, kvHead * d, d);
    attentionProbabilities(qh, kh, mask, T, S, d, p, probs);
    const oh = new Float32Array(T * d);
    gemmNN(probs, vh, oh, T, d, S);
    for (let t = 0; t < T; t++) out.set(oh.subarray(t * d, (t + 1) * d), t * q.cols + h * d);
  }

  const kvNeedsGrad = filled.some((s) => store.keySource[s]!.requiresGrad || store.valueSource[s]!.requiresGrad);
  const result = new Variable(q.shape, out, q.requiresGrad || kvNeedsGrad);
  if (!result.requiresGrad) return result;
  tape.record(() => {
    const g = result.grad;
    if (!g) return;
    const dq = q.requiresGrad ? q.gradBuffer() : null;
    const dKeys = new Float32Array(S * row);
    const dValues = new Float32Array(S * row);
    const dScores = new Float32Array(T * S);
    for (let h = 0; h < numHeads; h++) {
      const kvHead = Math.floor(h / group);
      const qh = columns(q.data, T, q.cols, h * d, d);
      const kh = columns(keys, S, row, kvHead * d, d);
      const vh = columns(values, S, row, kvHead * d, d);
      const scores = attentionProbabilities(qh, kh, mask, T, S, d, p, probs);
      const gh = columns(g, T, q.cols, h * d, d);
      gemmNT(gh, vh, dScores, T, S, d); // dP = dO·Vᵀ
      for (let t = 0; t < T; t++) {
        const base = t * S;
        let weighted = 0;
        for (let i = 0; i < S; i++) weighted += probs[base + i]! * dScores[base + i]!;
        for (let i = 0; i < S; i++) {
          let ds = probs[base + i]! * (dScores[base + i]! - weighted);
          if (p.softcap !== null) {
            const y = scores[base + i]! / p.softcap;
            ds *= 1 - y * y;
          }
          dScores[base + i] = mask[base + i] ? ds * p.scale : 0;
        }
      }
      const dkh = new Float32Array(S * d);
      const dvh = new Float32Array(S * d);
      gemmTN(dScores, qh, dkh, S, d, T); // dK = dSᵀ·Q
      gemmTN(probs, gh, dvh, S, d, T); // dV = Pᵀ·dO
      addColumns(dKeys, dkh, S, row, kvHead * d, d);
      addColumns(dValues, dvh, S, row, kvHead * d, d);
      if (dq) {
        const dqh = new Float32Array(T * d);
        gemmNN(dScores, kh, dqh, T, d, S); // dQ = dS·K
        addColumns(dq, dqh, T, q.cols, h * d, d);
      }
    }
    // Scatter back to the Variables the slots were written from.
    filled.forEach((s, i) => {
      const r = store.sourceRow[s]!;
      const kSrc = store.keySource[s]!;
      const vSrc = store.valueSource[s]!;
      if (kSrc.requiresGrad) {
        const dk = kSrc.gradBuffer();
        for (let j = 0; j < row; j++) dk[r * row + j] += dKeys[i * row + j]!;
      }
      if (vSrc.requiresGrad) {
        const dv = vSrc.gradBuffer();
        for (let j = 0; j < row; j++) dv[r * row + j] += dValues[i * row + j]!;
      }
    });
  });
  return result;
}

/**
 * Softmax probabilities [T, S] of one head into `probs` (0 where masked), as the reference computes them:
 * score = fround(fround(q·k)·scale), softcapped, exponentials and their sum in doubles, p = fround(e/Σ).
 * Returns the (softcapped) scores, which the softcap's gradient needs.
 */
function attentionProbabilities(qh: Float32Array, kh: Float32Array, mask: Uint8Array, T: number, S: number, d: number, p: AttentionParams, probs: Float32Array): Float32Array {
  const scores = new Float32Array(T * S);
  gemmNT(qh, kh, scores, T, S, d);
  const e = new Float64Array(S);
  for (let t = 0; t < T; t++) {
    const base = t * S;
    let max = -Infinity;
    for (let i = 0; i < S; i++) {
      if (!mask[base + i]) continue;
      let score = Math.fround(scores[base + i]! * p.scale);
      if (p.softcap !== null) score = softcap(score, p.softcap);
      scores[base + i] = score;
      if (score > max) max = score;
    }
    let sum = 0;
    for (let i = 0; i < S; i++) sum += (e[i] = mask[base + i] ? Math.exp(scores[base + i]! - max) : 0);
    for (let i = 0; i < S; i++) probs[base + i] = mask[base + i] ? Math.fround(e[i]! / sum) : 0;
  }
  return scores;
}

/** [T, S] bytes: query t sees key i iff p_i ≤ q_t and, when sliding, q_t − p_i < W. */
function visibility(positions: Int32Array, kvPos: Int32Array, window: number | null): Uint8Array {
  const T = positions.length;
  const S = kvPos.length;
  const mask = new Uint8Array(T * S);
  for (let t = 0; t < T; t++) {
    const qPos = positions[t]!;
    for (let i = 0; i < S; i++) {
      const kPos = kvPos[i]!;
      if (kPos <= qPos && (window === null || qPos - kPos < window)) mask[t * S + i] = 1;
    }
  }
  return mask;
}

/** Columns [start, start + count) of src [rows, cols] as a contiguous [rows, count]. */
function columns(src: Float32Array, rows: number, cols: number, start: number, count: number): Float32Array {
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(src.subarray(r * cols + start, r * cols + start + count), r * count);
  return out;
}

/** dst[:, start:start+count] += src [rows, count]. */
function addColumns(dst: Float32Array, src: Float32Array, rows: number, cols: number, start: number, count: number): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < count; c++) dst[r * cols + start + c] += src[r * count + c]!;
}
