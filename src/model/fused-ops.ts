/**
 * The decoder's fused steps: a backend's fused op where it has one (`Backend.addNorm`, `Backend.normRope`,
 * `Backend.gatedMatmul`, `Backend.matmulEach`, `Backend.normRopeWriteKv`),
 * else the plain ops it stands for, so every backend computes the same thing and only the GPU, where
 * each dispatch has a fixed cost, needs the extra kernels.
 */
import type { Activation, Backend, KvStore, NormForm, Tensor, Weight } from "../backends/ops.js";

/** A norm step: weight, form, eps and group size. */
export interface NormSpec {
  readonly weight: Weight;
  readonly form: NormForm;
  readonly eps: number;
  readonly dim: number;
}

/** The residual stream after a block, and the next norm's view of it. */
export interface AddedAndNormed {
  readonly sum: Tensor;
  /** next(sum), or null when no next norm was asked for. */
  readonly normed: Tensor | null;
}

/**
 * sum = (residual + norm(x)) × scalar, and where `next` is given, next.norm(sum): the following block's
 * input norm (none: the sum itself). No norm adds x as it is, no scalar multiplies by 1.
 */
export function addNormed(backend: Backend, residual: Tensor, x: Tensor, norm: NormSpec | null, scalar: Weight | null,
  next?: { readonly norm: NormSpec | null }): AddedAndNormed {
  const nextNorm = next?.norm ?? null;
  // The fused op applies the next norm with the block norm's form, eps and size.
  const nextFits = (n: NormSpec): boolean => !next || (nextNorm !== null && nextNorm.form === n.form && nextNorm.eps === n.eps && nextNorm.dim === n.dim);
  if (backend.addNorm && norm && norm.form !== "none" && nextFits(norm)) {
    const [sum, normed] = backend.addNorm(residual, x, norm.weight, norm.form, norm.eps, norm.dim, scalar, nextNorm?.weight ?? null);
    return { sum, normed };
  }
  const added = backend.add(residual, norm ? backend.rmsNorm(x, norm.weight, norm.form, norm.eps, norm.dim) : x);
  const sum = scalar ? backend.scaleByWeight(added, scalar) : added;
  if (!next) return { sum, normed: null };
  return { sum, normed: nextNorm ? backend.rmsNorm(sum, nextNorm.weight, nextNorm.form, nextNorm.eps, nextNorm.dim) : sum };
}

/** rope(norm(x)) with the norm over groups of headDim values; no norm is plain RoPE. */
export function normedRope(backend: Backend, x: Tensor, norm: NormSpec | null, positions: Int32Array, invFreq: Float32Array, headDim: number): Tensor {
  if (norm && norm.dim !== headDim) throw new Error(`normedRope: norm over ${norm.dim} values, head dim ${headDim}`);
  if (norm && backend.normRope) return backend.normRope(x, norm.weight, norm.form, norm.eps, positions, invFreq, headDim);
  return backend.rope(norm ? backend.rmsNorm(x, norm.weight, norm.form, norm.eps, headDim) : x, positions, invFreq, headDim);
}

/** act(x·gateᵀ) ⊙ (x·upᵀ), the first half of a gated MLP. */
export function gatedMatmul(backend: Backend, x: Tensor, gate: Weight, up: Weight, activation: Activation): Tensor {
  if (backend.gatedMatmul) return backend.gatedMatmul(x, gate, up, activation);
  return backend.gatedActivation(backend.matmul(x, gate), backend.matmul(x, up), activation);
}

/** x·wᵀ for each weight, in order (the attention's q, k and v projections). */
export function matmulEach(backend: Backend, x: Tensor, ws: readonly Weight[]): Tensor[] {
  return backend.matmulEach ? backend.matmulEach(x, ws) : ws.map((w) => backend.matmul(x, w));
}

/**
 * A layer's new keys and values into `store` at `slots`: k rotated after its norm (none: RoPE only), v
 * normed without a weight where `vNormEps` is given (Gemma 4's v_norm), else stored as projected.
 */
export function writeNormedKv(backend: Backend, store: KvStore, k: Tensor, v: Tensor, kNorm: NormSpec | null, vNormEps: number | null,
  positions: Int32Array, invFreq: Float32Array, headDim: number, slots: Int32Array): void {
  if (kNorm && backend.normRopeWriteKv && (vNormEps === null || vNormEps === kNorm.eps)) {
    if (kNorm.dim !== headDim) throw new Error(`writeNormedKv: norm over ${kNorm.dim} values, head dim ${headDim}`);
    backend.normRopeWriteKv(store, k, v, kNorm.weight, kNorm.form, kNorm.eps, vNormEps !== null, positions, invFreq, headDim, slots);
    return;
  }
  const rotated = normedRope(backend, k, kNorm, positions, invFreq, headDim);
  const values = vNormEps === null ? v : backend.rmsNorm(v, null, "none", vNormEps, headDim);
  backend.writeKv(store, rotated, values, slots, positions);
}
