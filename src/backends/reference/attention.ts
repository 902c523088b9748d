/**
 * Attention over a KV store (spec §1.5, §2): for each query row and head, scores q·k·scale over every
 * filled slot the mask allows (p ≤ q, and q − p < W on sliding layers), optional softcap, float32 softmax,
 * weighted sum of values. Query head h reads KV head ⌊h / (nH/nKV)⌋.
 */
import type { AttentionParams } from "../ops.js";
import { softcap } from "./math.js";
import { RefTensor, type RefKvStore } from "./tensors.js";

export function attention(q: RefTensor, store: RefKvStore, positions: Int32Array, p: AttentionParams): RefTensor {
  const { numHeads, numKvHeads, headDim: d } = p;
  if (store.numKvHeads !== numKvHeads || store.headDim !== d) throw new Error("attention: KV store geometry does not match");
  if (q.cols !== numHeads * d || positions.length !== q.rows) throw new Error(`attention: q [${q.shape}] vs ${numHeads} heads × ${d}`);
  const group = numHeads / numKvHeads;
  const out = new Float32Array(q.data.length);
  const scores = new Float64Array(store.used);
  const visible = new Int32Array(store.used);
  for (let t = 0; t < q.rows; t++) {
    const qPos = positions[t]!;
    // Slots this query may see, in slot order.
    let n = 0;
    for (let s = 0; s < store.used; s++) {
      const kPos = store.positions[s]!;
      if (kPos < 0 || kPos > qPos) continue;
      if (p.window !== null && qPos - kPos >= p.window) continue;
      visible[n++] = s;
    }
    for (let h = 0; h < numHeads; h++) {
      const kvHead = Math.floor(h / group);
      const qBase = t * q.cols + h * d;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const kBase = (visible[i]! * numKvHeads + kvHead) * d;
        let dot = 0;
        for (let j = 0; j < d; j++) dot += q.data[qBase + j]! * store.keys[kBase + j]!;
        let score = Math.fround(Math.fround(dot) * p.scale);
        if (p.softcap !== null) score = softcap(score, p.softcap);
        scores[i] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let i = 0; i < n; i++) {
        scores[i] = Math.exp(scores[i]! - max);
        sum += scores[i]!;
      }
      const oBase = t * q.cols + h * d;
      for (let i = 0; i < n; i++) {
        const weight = Math.fround(scores[i]! / sum);
        const vBase = (visible[i]! * numKvHeads + kvHead) * d;
        for (let j = 0; j < d; j++) out[oBase + j] += weight * store.values[vBase + j]!;
      }
    }
  }
  return new RefTensor(q.shape, out);
}

export function writeKv(store: RefKvStore, k: RefTensor, v: RefTensor, slots: Int32Array, positions: Int32Array): void {
  const row = store.rowSize;
  if (k.cols !== row || v.cols !== row || k.rows !== slots.length || v.rows !== slots.length || positions.length !== slots.length) {
    throw new Error(`writeKv: k [${k.shape}], v [${v.shape}] do not fit rows of ${row} at ${slots.length} slots`);
  }
  let maxSlot = -1;
  for (const s of slots) maxSlot = Math.max(maxSlot, s);
  store.ensureSlots(maxSlot + 1);
  for (let t = 0; t < slots.length; t++) {
    const s = slots[t]!;
    store.keys.set(k.data.subarray(t * row, (t + 1) * row), s * row);
    store.values.set(v.data.subarray(t * row, (t + 1) * row), s * row);
    store.positions[s] = positions[t]!;
  }
  store.used = Math.max(store.used, maxSlot + 1);
}
