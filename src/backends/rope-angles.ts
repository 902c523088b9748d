/**
 * cos and sin of RoPE's angles (spec §1.4), the one spelling every backend and the autograd use: the angle is
 * rounded to float32 first (fround(position · invFreq[j]), as transformers computes it in float32), its cos and
 * sin are taken in double and stored as float32. Exactness against the fixtures depends on that order.
 */

/** Writes cos/sin [positions.length, invFreq.length] (row-major) into the given arrays. */
export function fillRopeAngles(positions: Int32Array, invFreq: Float32Array, cos: Float32Array, sin: Float32Array): void {
  const half = invFreq.length;
  for (let t = 0; t < positions.length; t++) {
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(positions[t]! * invFreq[j]!);
      cos[t * half + j] = Math.cos(angle);
      sin[t * half + j] = Math.sin(angle);
    }
  }
}

export interface RopeAngles {
  readonly cos: Float32Array; // [T, d/2]
  readonly sin: Float32Array;
}

export function ropeAngles(positions: Int32Array, invFreq: Float32Array): RopeAngles {
  const cos = new Float32Array(positions.length * invFreq.length);
  const sin = new Float32Array(positions.length * invFreq.length);
  fillRopeAngles(positions, invFreq, cos, sin);
  return { cos, sin };
}
