/**
 * Q8_0 (ggml-common.h block_q8_0): 32 values as an f16 scale d then 32 int8 q; x = q·d. 34 bytes.
 * Mirrors ggml-quants.c quantize_row_q8_0_ref / dequantize_row_q8_0.
 */
import { f, readHalf, roundHalfAway, writeHalf } from "./ggml-rounding.js";

export const Q8_0_BLOCK = 32;
export const Q8_0_BYTES = 34;

export function quantizeQ8_0(x: Float32Array, out: Uint8Array): void {
  for (let b = 0, o = 0; b < x.length; b += Q8_0_BLOCK, o += Q8_0_BYTES) {
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(x[b + j]!));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    writeHalf(out, o, d);
    for (let j = 0; j < Q8_0_BLOCK; j++) out[o + 2 + j] = roundHalfAway(f(x[b + j]! * id)) & 0xff;
  }
}

export function dequantizeQ8_0(bytes: Uint8Array, out: Float32Array): void {
  for (let b = 0, o = 0; b < out.length; b += Q8_0_BLOCK, o += Q8_0_BYTES) {
    const d = readHalf(bytes, o);
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b + j] = ((bytes[o + 2 + j]! << 24) >> 24) * d;
  }
}
