/** Rotate-half RoPE (spec §1.4): pair j with j + d/2, angle = position · invFreq[j] in float32. */
import { ropeAngles } from "../rope-angles.js";
import { RefTensor } from "./tensors.js";

export function rope(x: RefTensor, positions: Int32Array, invFreq: Float32Array, headDim: number): RefTensor {
  const half = headDim / 2;
  if (invFreq.length !== half) throw new Error(`rope: ${invFreq.length} frequencies for head dim ${headDim}`);
  if (positions.length !== x.rows || x.cols % headDim !== 0) throw new Error(`rope: x [${x.shape}] vs ${positions.length} positions, head dim ${headDim}`);
  const heads = x.cols / headDim;
  const out = new Float32Array(x.data.length);
  const { cos, sin } = ropeAngles(positions, invFreq);
  for (let t = 0; t < x.rows; t++) {
    for (let h = 0; h < heads; h++) {
      const base = t * x.cols + h * headDim;
      for (let j = 0; j < half; j++) {
        const a = x.data[base + j]!;
        const b = x.data[base + j + half]!;
        const c = cos[t * half + j]!;
        const s = sin[t * half + j]!;
        out[base + j] = Math.fround(a * c) - Math.fround(b * s);
        out[base + j + half] = Math.fround(b * c) + Math.fround(a * s);
      }
    }
  }
  return new RefTensor(x.shape, out);
}
