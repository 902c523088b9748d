/**
 * cos and sin of RoPE angles for a chunk of positions, computed as the reference does (angle =
 * fround(position · invFreq[j]), Math.cos/Math.sin in double, stored as float32) and cached: within one
 * forward pass every layer uses the same positions and only a few distinct frequency tables.
 */
export interface RopeTables {
  readonly cos: Float32Array; // [T, d/2]
  readonly sin: Float32Array;
}

export class RopeTableCache {
  private positions = new Int32Array(0);
  private entries: { invFreq: Float32Array; tables: RopeTables }[] = [];

  get(positions: Int32Array, invFreq: Float32Array): RopeTables {
    if (!sameValues(positions, this.positions)) {
      this.positions = Int32Array.from(positions);
      this.entries = [];
    }
    for (const e of this.entries) if (e.invFreq === invFreq || sameValues(e.invFreq, invFreq)) return e.tables;
    const tables = computeTables(positions, invFreq);
    this.entries.push({ invFreq: Float32Array.from(invFreq), tables });
    return tables;
  }
}

function sameValues(a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function computeTables(positions: Int32Array, invFreq: Float32Array): RopeTables {
  const half = invFreq.length;
  const cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  for (let t = 0; t < positions.length; t++) {
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(positions[t]! * invFreq[j]!);
      cos[t * half + j] = Math.cos(angle);
      sin[t * half + j] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
