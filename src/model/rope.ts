/**
 * RoPE inverse frequencies, computed in float32 exactly as transformers builds its rotary buffers
 * (spec §1.4, §4.4). Angles are pos · inv_freq[j]; pair j rotates with j + headDim/2 (rotate-half).
 */
import type { RopeConfig } from "./model-config.js";

export function ropeInverseFrequencies(rope: RopeConfig, headDim: number): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  // Proportional RoPE rotates only the first ⌊p·d/2⌋ pairs, yet keeps d (not p·d) as the exponent's
  // denominator; the other pairs get frequency 0 and pass through unchanged.
  const rotated = rope.type === "proportional" ? Math.floor((rope.partialRotaryFactor * headDim) / 2) : half;
  for (let j = 0; j < rotated; j++) {
    const exponent = Math.fround(Math.fround(2 * j) / headDim);
    const power = Math.fround(rope.theta ** exponent);
    inv[j] = Math.fround(1 / power);
  }
  if (rope.factor !== 1) for (let j = 0; j < half; j++) inv[j] = Math.fround(inv[j]! / rope.factor);
  return inv;
}
