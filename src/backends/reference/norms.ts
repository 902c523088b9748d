/** RMSNorm in its three forms (spec §1.1), computed in float32 with the weight applied before rounding. */
import type { NormForm } from "../ops.js";
import { RefTensor, type RefWeight } from "./tensors.js";

export function rmsNorm(x: RefTensor, weight: RefWeight | null, form: NormForm, eps: number, dim: number): RefTensor {
  if (x.data.length % dim !== 0) throw new Error(`rmsNorm: ${x.data.length} values are not groups of ${dim}`);
  if (form !== "none" && (!weight || weight.shape[0] !== dim)) throw new Error(`rmsNorm: form ${form} needs a [${dim}] weight`);
  const scale = new Float32Array(dim);
  if (weight) weight.decode(0, scale);
  if (form === "one-plus") for (let i = 0; i < dim; i++) scale[i] = Math.fround(1 + scale[i]!);
  const src = x.data;
  const out = new Float32Array(src.length);
  for (let base = 0; base < src.length; base += dim) {
    let sumSquares = 0;
    for (let i = 0; i < dim; i++) sumSquares += src[base + i]! * src[base + i]!;
    const inv = Math.fround(1 / Math.sqrt(Math.fround(Math.fround(sumSquares / dim) + eps)));
    for (let i = 0; i < dim; i++) {
      const normed = Math.fround(src[base + i]! * inv);
      out[base + i] = form === "none" ? normed : normed * scale[i]!;
    }
  }
  return new RefTensor(x.shape, out);
}
