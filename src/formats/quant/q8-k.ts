/**
 * Q8_K (ggml-common.h block_q8_K): the 8-bit activation format of K-quant dot products, 292 bytes: f32 d,
 * qs[256] (int8), bsums[16] (int16 sums of each 16 levels). x = d·q. Mirrors quantize_row_q8_K_ref and
 * dequantize_row_q8_K. (An all-zero block gets d = 0 and zero levels; ggml leaves its bsums unwritten, we
 * write zeros.)
 */
import { f, nearestInt } from "./ggml-rounding.js";
import { QK_K } from "./ggml-type.js";

export const Q8_K_BYTES = 292;

export function quantizeQ8_K(x: Float32Array, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let b = 0, o = 0; b < x.length; b += QK_K, o += Q8_K_BYTES) {
    let max = 0;
    let amax = 0;
    for (let j = 0; j < QK_K; j++) {
      const ax = Math.abs(x[b + j]!);
      if (ax > amax) {
        amax = ax;
        max = x[b + j]!;
      }
    }
    if (!amax) {
      out.fill(0, o, o + Q8_K_BYTES);
      continue;
    }
    const iscale = f(-127 / max);
    for (let j = 0; j < QK_K; j++) out[o + 4 + j] = Math.min(127, nearestInt(f(iscale * x[b + j]!))) & 0xff;
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let ii = 0; ii < 16; ii++) sum += (out[o + 4 + 16 * j + ii]! << 24) >> 24;
      view.setInt16(o + 260 + 2 * j, sum, true);
    }
    view.setFloat32(o, f(1 / iscale), true);
  }
}

export function dequantizeQ8_K(bytes: Uint8Array, out: Float32Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0, o = 0; b < out.length; b += QK_K, o += Q8_K_BYTES) {
    const d = view.getFloat32(o, true);
    for (let j = 0; j < QK_K; j++) out[b + j] = d * ((bytes[o + 4 + j]! << 24) >> 24);
  }
}
