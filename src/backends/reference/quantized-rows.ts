/**
 * Quantized weights in the reference backend: values are decoded as used, with ggml's own dequantization
 * (formats/quant), whole blocks at a time. Reads of part of a block (a single element) decode its block.
 */
import { ggmlType } from "../../formats/quant/ggml-type.js";
import { dequantizeRowInto } from "../../formats/quant/quantize-row.js";
import type { QuantDtype } from "../ops.js";
import { ggmlTypeOf } from "../weight-dtype.js";

/** Writes float32 values of elements [start, start + out.length) of quantized `bytes` into `out`. */
export function decodeQuantized(dtype: QuantDtype, bytes: Uint8Array, start: number, out: Float32Array): Float32Array {
  const type = ggmlTypeOf(dtype);
  const { blockElems, blockBytes } = ggmlType(type);
  const first = Math.floor(start / blockElems);
  const last = Math.ceil((start + out.length) / blockElems);
  const src = bytes.subarray(first * blockBytes, last * blockBytes);
  if (start % blockElems === 0 && out.length % blockElems === 0) {
    dequantizeRowInto(type, src, out);
    return out;
  }
  const whole = new Float32Array((last - first) * blockElems);
  dequantizeRowInto(type, src, whole);
  out.set(whole.subarray(start - first * blockElems, start - first * blockElems + out.length));
  return out;
}
