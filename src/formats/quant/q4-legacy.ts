/**
 * Q4_0 and Q4_1 (ggml-common.h block_q4_0 / block_q4_1), mirroring ggml-quants.c quantize_row_q4_*_ref and
 * dequantize_row_q4_*. A block holds 32 values; byte j of qs packs value j (low nibble) and value j + 16
 * (high nibble).
 * - Q4_0, 18 bytes: f16 d, qs[16]; x = (q − 8)·d, with d = max / −8 where max is the value of largest |x|.
 * - Q4_1, 20 bytes: f16 d, f16 m, qs[16]; x = q·d + m, with d = (max − min)/15 and m = min.
 */
import { f, readHalf, truncToInt, writeHalf } from "./ggml-rounding.js";

export const Q4_BLOCK = 32;
export const Q4_0_BYTES = 18;
export const Q4_1_BYTES = 20;

export function quantizeQ4_0(x: Float32Array, out: Uint8Array): void {
  for (let b = 0, o = 0; b < x.length; b += Q4_BLOCK, o += Q4_0_BYTES) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < Q4_BLOCK; j++) {
      const v = x[b + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f(max / -8);
    const id = d ? f(1 / d) : 0;
    writeHalf(out, o, d);
    for (let j = 0; j < 16; j++) {
      // (int8_t)(x·id + 8.5f): truncation toward zero, then at most 15.
      const q0 = Math.min(15, truncToInt(f(f(x[b + j]! * id) + 8.5)));
      const q1 = Math.min(15, truncToInt(f(f(x[b + 16 + j]! * id) + 8.5)));
      out[o + 2 + j] = q0 | (q1 << 4);
    }
  }
}

export function dequantizeQ4_0(bytes: Uint8Array, out: Float32Array): void {
  for (let b = 0, o = 0; b < out.length; b += Q4_BLOCK, o += Q4_0_BYTES) {
    const d = readHalf(bytes, o);
    for (let j = 0; j < 16; j++) {
      const q = bytes[o + 2 + j]!;
      out[b + j] = ((q & 0x0f) - 8) * d;
      out[b + 16 + j] = ((q >> 4) - 8) * d;
    }
  }
}

export function quantizeQ4_1(x: Float32Array, out: Uint8Array): void {
  for (let b = 0, o = 0; b < x.length; b += Q4_BLOCK, o += Q4_1_BYTES) {
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < Q4_BLOCK; j++) {
      const v = x[b + j]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f(f(max - min) / 15);
    const id = d ? f(1 / d) : 0;
    writeHalf(out, o, d);
    writeHalf(out, o + 2, min);
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(15, truncToInt(f(f(f(x[b + j]! - min) * id) + 0.5)));
      const q1 = Math.min(15, truncToInt(f(f(f(x[b + 16 + j]! - min) * id) + 0.5)));
      out[o + 4 + j] = q0 | (q1 << 4);
    }
  }
}

export function dequantizeQ4_1(bytes: Uint8Array, out: Float32Array): void {
  for (let b = 0, o = 0; b < out.length; b += Q4_BLOCK, o += Q4_1_BYTES) {
    const d = readHalf(bytes, o);
    const m = readHalf(bytes, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = bytes[o + 4 + j]!;
      out[b + j] = f((q & 0x0f) * d) + m;
      out[b + 16 + j] = f((q >> 4) * d) + m;
    }
  }
}
