/**
 * Attention over a KV store, with gradients reaching the keys and values that were written into it.
 *
 * A `GradKvStore` remembers, for each slot, which Variable row its key and value came from, so attention's
 * gradient lands on the k/v projections of the layer that wrote them, including when a later KV-shared
 * layer reads them. The forward follows the reference (scores in float32, softmax in doubles); the backward
 * recomputes the probabilities from the saved row maximum and sum instead of keeping [T, heads, S] values:
 *   p = softmax(s),  dp_i = g·v_i,  ds_i = p_i·(dp_i − Σ_j p_j·dp_j),  softcap: ·(1 − (s_i/c)²),
 *   dq += ds_i·scale·k_i,  dk_i += ds_i·scale·q,  dv_i += p_i·g.
 */
import type { AttentionParams, KvStore } from "../../backends/ops.js";
import { softcap } from "../../backends/reference/math.js";
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
  const cols = q.cols;
  const group = numHeads / numKvHeads;
  const out = new Float32Array(q.data.length);
  const rowMax = new Float64Array(T * numHeads);
  const rowSum = new Float64Array(T * numHeads);
  const visible: Int32Array[] = [];
  const scores = new Float64Array(S);
  for (let t = 0; t < T; t++) {
    const vis = visibleSlots(kvPos, positions[t]!, p.window);
    visible.push(vis);
    for (let h = 0; h < numHeads; h++) {
      const kvHead = Math.floor(h / group);
      const qBase = t * cols + h * d;
      let max = -Infinity;
      for (let i = 0; i < vis.length; i++) {
        const score = scoreOf(q.data, qBase, keys, (vis[i]! * numKvHeads + kvHead) * d, d, p);
        scores[i] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let i = 0; i < vis.length; i++) {
        scores[i] = Math.exp(scores[i]! - max);
        sum += scores[i]!;
      }
      rowMax[t * numHeads + h] = max;
      rowSum[t * numHeads + h] = sum;
      for (let i = 0; i < vis.length; i++) {
        const weight = Math.fround(scores[i]! / sum);
        const vBase = (vis[i]! * numKvHeads + kvHead) * d;
        for (let j = 0; j < d; j++) out[qBase + j] += weight * values[vBase + j]!;
      }
    }
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
    const probs = new Float64Array(S);
    const dScores = new Float64Array(S);
    for (let t = 0; t < T; t++) {
      const vis = visible[t]!;
      for (let h = 0; h < numHeads; h++) {
        const kvHead = Math.floor(h / group);
        const qBase = t * cols + h * d;
        const max = rowMax[t * numHeads + h]!;
        const sum = rowSum[t * numHeads + h]!;
        let weighted = 0;
        for (let i = 0; i < vis.length; i++) {
          const base = (vis[i]! * numKvHeads + kvHead) * d;
          const score = scoreOf(q.data, qBase, keys, base, d, p);
          const prob = Math.exp(score - max) / sum;
          let dp = 0;
          for (let j = 0; j < d; j++) dp += g[qBase + j]! * values[base + j]!;
          probs[i] = prob;
          dScores[i] = dp;
          weighted += prob * dp;
          if (p.softcap !== null) scores[i] = score;
          for (let j = 0; j < d; j++) dValues[base + j] += prob * g[qBase + j]!;
        }
        for (let i = 0; i < vis.length; i++) {
          let ds = probs[i]! * (dScores[i]! - weighted);
          if (p.softcap !== null) {
            const y = scores[i]! / p.softcap;
            ds *= 1 - y * y;
          }
          const dDot = ds * p.scale;
          const base = (vis[i]! * numKvHeads + kvHead) * d;
          for (let j = 0; j < d; j++) dKeys[base + j] += dDot * q.data[qBase + j]!;
          if (dq) for (let j = 0; j < d; j++) dq[qBase + j] += dDot * keys[base + j]!;
        }
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

/** Indices (into the gathered K/V) a query at `qPos` sees: p ≤ q, and q − p < W when sliding. */
function visibleSlots(kvPos: Int32Array, qPos: number, window: number | null): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < kvPos.length; i++) {
    const kPos = kvPos[i]!;
    if (kPos > qPos) continue;
    if (window !== null && qPos - kPos >= window) continue;
    out.push(i);
  }
  return Int32Array.from(out);
}

/** fround(fround(q·k)·scale), softcapped: the reference's score. */
function scoreOf(q: Float32Array, qBase: number, keys: Float32Array, kBase: number, d: number, p: AttentionParams): number {
  let dot = 0;
  for (let j = 0; j < d; j++) dot += q[qBase + j]! * keys[kBase + j]!;
  let score = Math.fround(Math.fround(dot) * p.scale);
  if (p.softcap !== null) score = softcap(score, p.softcap);
  return score;
}
