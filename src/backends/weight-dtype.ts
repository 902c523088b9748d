/**
 * Weight dtypes by name: which are block-quantized, and the ggml type each quantized dtype is stored as
 * (the lower-case WeightDtype names are GGUF's type names, e.g. "q4_k" ↔ Q4_K).
 */
import type { GgmlTypeName } from "../formats/quant/ggml-type.js";
import type { FloatWeightDtype, QuantDtype, WeightDtype } from "./ops.js";

export const QUANT_DTYPES: readonly QuantDtype[] = ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k", "q6_k"];
export const FLOAT_WEIGHT_DTYPES: readonly FloatWeightDtype[] = ["f32", "f16", "bf16"];

export function isQuantDtype(dtype: string): dtype is QuantDtype {
  return (QUANT_DTYPES as readonly string[]).includes(dtype);
}

export function isWeightDtype(dtype: string): dtype is WeightDtype {
  return isQuantDtype(dtype) || (FLOAT_WEIGHT_DTYPES as readonly string[]).includes(dtype);
}

/** The ggml type a quantized dtype's blocks follow. */
export function ggmlTypeOf(dtype: QuantDtype): GgmlTypeName {
  return dtype.toUpperCase() as GgmlTypeName;
}

/** The quantized dtype of a ggml type, or null when the backends do not take that type as a weight. */
export function quantDtypeOf(type: GgmlTypeName): QuantDtype | null {
  const name = type.toLowerCase();
  return isQuantDtype(name) ? name : null;
}
