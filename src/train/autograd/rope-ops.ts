/**
 * Rotate-half RoPE with its gradient. The forward is the reference backend's function; RoPE is a rotation
 * by angle θ = pos·invFreq of each pair (a, b) = (x_j, x_{j+d/2}), so its gradient is the inverse rotation:
 *   da = g_a·cos θ + g_b·sin θ,   db = −g_a·sin θ + g_b·cos θ.
 */
import { rope } from "../../backends/reference/rope.js";
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
    const cos = new Float32Array(half);
    const sin = new Float32Array(half);
    for (let t = 0; t < x.rows; t++) {
      for (let j = 0; j < half; j++) {
        const angle = Math.fround(positions[t]! * invFreq[j]!);
        cos[j] = Math.cos(angle);
        sin[j] = Math.sin(angle);
      }
      for (let h = 0; h < heads; h++) {
        const base = t * cols + h * headDim;
        for (let j = 0; j < half; j++) {
          const ga = g[base + j]!;
          const gb = g[base + j + half]!;
          dx[base + j] += ga * cos[j]! + gb * sin[j]!;
          dx[base + j + half] += gb * cos[j]! - ga * sin[j]!;
        }
      }
    }
  });
  return out;
}
