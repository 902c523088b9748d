/**
 * RoPE's cos/sin tables (rope-angles.ts) for the positions of recent calls, cached: within one forward pass
 * every layer uses the same positions and only a few distinct frequency tables. A batched decode step ropes
 * the batch's queries at all of its positions and each sequence's new keys at its own, so a few position sets
 * alternate in every layer; the cache keeps the most recent ones.
 */
import { ropeAngles, type RopeAngles } from "../rope-angles.js";


/** Position sets kept, within a memory budget: a prefill chunk's tables are large (8,192 positions x 256
 *  frequencies x cos and sin = 16 MB), a decode step's tiny. A batch of up to 11 sequences plus the batch itself
 *  fit (the server's default batch is 8); a larger batch cycles through the sets and recomputes them, as before. */
const MAX_POSITION_SETS = 12;
const MAX_CACHED_VALUES = 1 << 23; // 32 MB of float32 in all; the newest set is kept even when alone larger

interface PositionSet {
  readonly positions: Int32Array;
  readonly entries: { invFreq: Float32Array; tables: RopeAngles }[];
}

export class RopeTableCache {
  private sets: PositionSet[] = []; // most recently used first

  get(positions: Int32Array, invFreq: Float32Array): RopeAngles {
    let index = this.sets.findIndex((s) => sameValues(s.positions, positions));
    if (index < 0) {
      this.sets.unshift({ positions: Int32Array.from(positions), entries: [] });
      if (this.sets.length > MAX_POSITION_SETS) this.sets.pop();
      index = 0;
    } else if (index > 0) {
      this.sets.unshift(...this.sets.splice(index, 1));
    }
    const set = this.sets[0]!;
    for (const e of set.entries) if (e.invFreq === invFreq || sameValues(e.invFreq, invFreq)) return e.tables;
    const tables = ropeAngles(positions, invFreq);
    set.entries.push({ invFreq: Float32Array.from(invFreq), tables });
    this.evict();
    return tables;
  }

  private evict(): void {
    let values = 0;
    for (let i = 0; i < this.sets.length; i++) {
      for (const e of this.sets[i]!.entries) values += 2 * e.tables.cos.length;
      if (i > 0 && values > MAX_CACHED_VALUES) {
        this.sets.length = i;
        return;
      }
    }
  }
}

function sameValues(a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
