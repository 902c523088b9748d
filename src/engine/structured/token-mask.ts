/**
 * The set of tokens allowed at one step: a bitset over the vocabulary (bit i of word i>>>5 = token i),
 * plus the list of ids when there are few, so applying a sparse mask to logits touches few entries.
 */

/** Up to this many allowed tokens a mask also keeps the id list. */
export const SPARSE_LIMIT = 4096;

export class TokenMask {
  private constructor(
    readonly bits: Uint32Array, // [ceil(vocabSize / 32)]
    readonly vocabSize: number,
    readonly count: number,
    readonly ids: Int32Array | null,
    /** The most bytes any allowed token leaves to complete the document (-Infinity: none allowed). */
    readonly maxDistanceAfter: number,
  ) {}

  static fromBits(bits: Uint32Array, vocabSize: number, maxDistanceAfter: number): TokenMask {
    let count = 0;
    for (let w = 0; w < bits.length; w++) {
      let x = bits[w];
      x -= (x >>> 1) & 0x55555555;
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      count += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    }
    let ids: Int32Array | null = null;
    if (count <= SPARSE_LIMIT) {
      ids = new Int32Array(count);
      let k = 0;
      for (let w = 0; w < bits.length; w++) {
        let x = bits[w];
        while (x !== 0) {
          const low = x & -x;
          ids[k++] = w * 32 + 31 - Math.clz32(low);
          x ^= low;
        }
      }
    }
    return new TokenMask(bits, vocabSize, count, ids, maxDistanceAfter);
  }

  has(id: number): boolean {
    return id >= 0 && id < this.vocabSize && ((this.bits[id >>> 5] >>> (id & 31)) & 1) === 1;
  }

  /** Writes the bitset into `out` (at least as many words as the mask). */
  copyTo(out: Uint32Array): void {
    out.set(this.bits);
    out.fill(0, this.bits.length);
  }

  /** Sets every disallowed logit to -Infinity, including any beyond the vocabulary (padded heads). */
  applyToLogits(logits: Float32Array): void {
    if (this.ids) {
      const saved = new Float32Array(this.ids.length);
      this.ids.forEach((id, i) => (saved[i] = logits[id]));
      logits.fill(-Infinity);
      this.ids.forEach((id, i) => (logits[id] = saved[i]));
      return;
    }
    const n = Math.min(logits.length, this.vocabSize);
    for (let w = 0; w < this.bits.length; w++) {
      const x = this.bits[w];
      if (x === -1 >>> 0) continue;
      const base = w * 32;
      if (x === 0) {
        logits.fill(-Infinity, base, Math.min(base + 32, n));
        continue;
      }
      for (let k = 0; k < 32 && base + k < n; k++) if (((x >>> k) & 1) === 0) logits[base + k] = -Infinity;
    }
    if (logits.length > n) logits.fill(-Infinity, n);
  }
}
