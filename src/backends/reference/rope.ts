/** Rotate-half RoPE (spec §1.4): pair j with j + d/2, angle = position · invFreq[j] in float32. */
import { RefTensor } from "./tensors.js";

export function rope(x: RefTensor, positions: Int32Array, invFreq: Float32Array, headDim: number): RefTensor {
  const half = headDim / 2;
  if (invFreq.length !== half) throw new Error(`rope: ${invFreq.length} frequencies for head dim ${headDim}`);
  if (positions.length !== x.rows || x.cols % headDim !== 0) throw new Error(`rope: x [${x.shape}] vs ${positions.length} positions, head dim ${headDim}`);
  const heads = x.cols / headDim;
  const out = new Float32Array(x.data.length);
  const cos = new Float32Array(half);
  const sin = new Float32Array(half);
  for (let t = 0; t < x.rows; t++) {
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(positions[t]! * invFreq[j]!);
      cos[j] = Math.cos(angle);
      sin[j] = Math.sin(angle);
    }
    for (let h = 0; h < heads; h++) {
      const base = t * x.cols + h * headDim;
      for (let j = 0; j < half; j++) {
        const a = x.data[base + j]!;
        const b = x.data[base + j + half]!;
        out[base + j] = Math.fround(a * cos[j]!) - Math.fround(b * sin[j]!);
        out[base + j + half] = Math.fround(b * cos[j]!) + Math.fround(a * sin[j]!);
      }
    }
  }
  return new RefTensor(x.shape, out);
}
