/**
 * Q5_0 and Q5_1 (ggml-common.h block_q5_0 / block_q5_1), mirroring ggml-quants.c quantize_row_q5_*_ref and
 * dequantize_row_q5_*. Like Q4_0/Q4_1 with a fifth bit per value in qh (a little-endian u32: bit j is value
 * j's, bit j + 16 is value j + 16's).
 * - Q5_0, 22 bytes: f16 d, qh[4], qs[16]; x = (q − 16)·d, d = max / −16.
 * - Q5_1, 24 bytes: f16 d, f16 m, qh[4], qs[16]; x = q·d + m, d = (max − min)/31.
 */
import { f, readHalf, truncToInt, writeHalf } from "./ggml-rounding.js";

export const Q5_BLOCK = 32;
export const Q5_0_BYTES = 22;
export const Q5_1_BYTES = 24;

function writeQh(out: Uint8Array, offset: number, qh: number): void {
  out[offset] = qh & 0xff;
  out[offset + 1] = (qh >>> 8) & 0xff;
  out[offset + 2] = (qh >>> 16) & 0xff;
  out[offset + 3] = (qh >>> 24) & 0xff;
}

function readQh(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

export function quantizeQ5_0(x: Float32Array, out: Uint8Array): void {
  for (let b = 0, o = 0; b < x.length; b += Q5_BLOCK, o += Q5_0_BYTES) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < Q5_BLOCK; j++) {
      const v = x[b + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f(max / -16);
    const id = d ? f(1 / d) : 0;
    writeHalf(out, o, d);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(31, truncToInt(f(f(x[b + j]! * id) + 16.5)));
      const q1 = Math.min(31, truncToInt(f(f(x[b + 16 + j]! * id) + 16.5)));
      out[o + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >> 4) << j;
      qh |= ((q1 & 0x10) >> 4) << (j + 16);
    }
    writeQh(out, o + 2, qh);
  }
}

export function dequantizeQ5_0(bytes: Uint8Array, out: Float32Array): void {
  for (let b = 0, o = 0; b < out.length; b += Q5_BLOCK, o += Q5_0_BYTES) {
    const d = readHalf(bytes, o);
    const qh = readQh(bytes, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = bytes[o + 6 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      out[b + j] = (((q & 0x0f) | h0) - 16) * d;
      out[b + 16 + j] = (((q >> 4) | h1) - 16) * d;
    }
  }
}

export function quantizeQ5_1(x: Float32Array, out: Uint8Array): void {
  for (let b = 0, o = 0; b < x.length; b += Q5_BLOCK, o += Q5_1_BYTES) {
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < Q5_BLOCK; j++) {
      const v = x[b + j]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f(f(max - min) / 31);
    const id = d ? f(1 / d) : 0;
    writeHalf(out, o, d);
    writeHalf(out, o + 2, min);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      // (uint8_t)(x + 0.5f) with no clamp, as in ggml.
      const q0 = truncToInt(f(f(f(x[b + j]! - min) * id) + 0.5)) & 0xff;
      const q1 = truncToInt(f(f(f(x[b + 16 + j]! - min) * id) + 0.5)) & 0xff;
      out[o + 8 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >> 4) << j;
      qh |= ((q1 & 0x10) >> 4) << (j + 16);
    }
    writeQh(out, o + 4, qh);
  }
}

export function dequantizeQ5_1(bytes: Uint8Array, out: Float32Array): void {
  for (let b = 0, o = 0; b < out.length; b += Q5_BLOCK, o += Q5_1_BYTES) {
    const d = readHalf(bytes, o);
    const m = readHalf(bytes, o + 2);
    const qh = readQh(bytes, o + 4);
    for (let j = 0; j < 16; j++) {
      const q = bytes[o + 8 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      out[b + j] = f(((q & 0x0f) | h0) * d) + m;
      out[b + 16 + j] = f(((q >> 4) | h1) * d) + m;
    }
  }
}
