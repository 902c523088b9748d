/**
 * Rotate-half RoPE with its gradient. The forward is the reference backend's function; RoPE is a rotation
 * by angle θ = pos·invFreq of each pair (a, b) = (x_j, x_{j+d/2}), so its gradient is the inverse rotation:
 *   da = g_a·cos θ + g_b·sin θ,   db = −g_a·sin θ + g_b·cos θ.
 */
import { rope } from "../../backends/reference/rope.js";
import { ropeAngles } from "../../backends/rope-angles.js";
import { RefTensor } from "../../backends/reference/tensors.js";
import { type Tape, Variable } from "./tape.js";

export function ropeOp(tape: Tape, x: Variable, positions: Int32Array, invFreq: Float32Array, headDim: number): Variable {
  const ref = rope(new RefTensor(x.shape, x.data), positions, invFreq, headDim);
  const out = new Variable(x.shape, ref.data, x.requiresGrad);
  if (!out.requiresGrad) return out;
  tape.record(() => {
    const g = out.grad;
    if (!g) return;
    const dx = x.gradBuffer();
    const half = headDim / 2;
    const cols = x.cols;
    const heads = cols / headDim;
    const { cos, sin } = ropeAngles(positions, invFreq);
    for (let t = 0; t < x.rows; t++) {
      for (let h = 0; h < heads; h++) {
        const base = t * cols + h * headDim;
        for (let j = 0; j < half; j++) {
          const ga = g[base + j]!;
          const gb = g[base + j + half]!;
          const c = cos[t * half + j]!;
          const s = sin[t * half + j]!;
          dx[base + j] += ga * c + gb * s;
          dx[base + j + half] += gb * c - ga * s;
        }
      }
    }
  });
  return out;
}
