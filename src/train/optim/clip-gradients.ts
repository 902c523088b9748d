/** Global gradient-norm clipping, as torch.nn.utils.clip_grad_norm_: scale every gradient by
 *  min(1, maxNorm / ‖g‖) where ‖g‖ is the L2 norm over all trainable gradients together. */
import type { Parameter } from "../autograd/parameter.js";

/** Returns the norm before clipping. `maxNorm` ≤ 0 or Infinity only measures. */
export function clipGradients(parameters: readonly Parameter[], maxNorm: number): number {
  let sumSquares = 0;
  for (const p of parameters) {
    if (!p.trainable || !p.grad) continue;
    for (const g of p.grad) sumSquares += g * g;
  }
  const norm = Math.sqrt(sumSquares);
  if (maxNorm > 0 && Number.isFinite(maxNorm) && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const p of parameters) {
      if (!p.trainable || !p.grad) continue;
      const g = p.grad;
      for (let i = 0; i < g.length; i++) g[i] = g[i]! * scale;
    }
  }
  return norm;
}
