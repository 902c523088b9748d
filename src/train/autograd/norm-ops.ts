/**
 * RMSNorm with its gradient. The forward is the reference backend's own function (the spec's rounding
 * points); the backward treats y = x·r·w′ with r = (mean(x²) + ε)^-½ and w′ = w, 1 + w or 1 by form:
 *   dx = r·(g⊙w′) − x·r³/n·Σ(g⊙w′⊙x),   dw = Σ over groups of g⊙x·r.
 */
import type { NormForm } from "../../backends/ops.js";
import { rmsNorm } from "../../backends/reference/norms.js";
import { RefTensor, RefWeight } from "../../backends/reference/tensors.js";
import type { Parameter } from "./parameter.js";
import { type Tape, Variable } from "./tape.js";

export function rmsNormOp(tape: Tape, x: Variable, weight: Parameter | null, form: NormForm, eps: number, dim: number): Variable {
  const ref = rmsNorm(new RefTensor(x.shape, x.data), weight && new RefWeight(weight.shape, "f32", weight.data), form, eps, dim);
  const weightTrains = weight !== null && form !== "none" && weight.trainable;
  const out = new Variable(x.shape, ref.data, x.requiresGrad || weightTrains);
  if (!out.requiresGrad) return out;
  tape.record(() => {
    const g = out.grad;
    if (!g) return;
    const scale = new Float32Array(dim).fill(1);
    if (weight && form === "scale") scale.set(weight.data);
    if (weight && form === "one-plus") for (let i = 0; i < dim; i++) scale[i] = Math.fround(1 + weight.data[i]!);
    const dx = x.requiresGrad ? x.gradBuffer() : null;
    const dw = weightTrains ? weight.gradBuffer() : null;
    const src = x.data;
    for (let base = 0; base < src.length; base += dim) {
      let sumSquares = 0;
      for (let i = 0; i < dim; i++) sumSquares += src[base + i]! * src[base + i]!;
      const r = 1 / Math.sqrt(sumSquares / dim + eps);
      if (dw) for (let i = 0; i < dim; i++) dw[i] += g[base + i]! * src[base + i]! * r;
      if (dx) {
        let dot = 0;
        for (let i = 0; i < dim; i++) dot += g[base + i]! * scale[i]! * src[base + i]!;
        const c = (dot * r * r * r) / dim;
        for (let i = 0; i < dim; i++) dx[base + i] += r * g[base + i]! * scale[i]! - src[base + i]! * c;
      }
    }
  });
  return out;
}
