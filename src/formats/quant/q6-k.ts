/**
 * Q6_K (ggml-common.h block_q6_K): a 256-value super-block of sixteen 16-value sub-blocks, 210 bytes:
 * ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), f16 d. x = d·scale·(q − 32).
 * Mirrors ggml-quants.c quantize_row_q6_K_ref and dequantize_row_q6_K.
 */
import { f, fromHalf, nearestInt, readHalf, writeHalf } from "./ggml-rounding.js";
import { makeQxQuants } from "./k-quant-search.js";
import { QK_K } from "./ggml-type.js";

export const Q6_K_BYTES = 210;

const GROUP_MAX_EPS = f(1e-15);

export function quantizeQ6_K(x: Float32Array, out: Uint8Array): void {
  const L = new Int8Array(QK_K);
  const scales = new Float32Array(16);
  for (let b = 0, o = 0; b < x.length; b += QK_K, o += Q6_K_BYTES) {
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const scale = makeQxQuants(16, 32, x, b + 16 * ib, L, 16 * ib);
      scales[ib] = scale;
      const abs = Math.abs(scale);
      if (abs > maxAbsScale) {
        maxAbsScale = abs;
        maxScale = scale;
      }
    }
    if (maxAbsScale < GROUP_MAX_EPS) {
      out.fill(0, o, o + Q6_K_BYTES);
      continue;
    }
    const iscale = f(-128 / maxScale);
    writeHalf(out, o + 208, f(1 / iscale));
    for (let ib = 0; ib < 16; ib++) out[o + 192 + ib] = Math.min(127, nearestInt(f(iscale * scales[ib]!))) & 0xff;
    const d0 = readHalf(out, o + 208);
    for (let j = 0; j < 16; j++) {
      const d = f(d0 * ((out[o + 192 + j]! << 24) >> 24));
      if (!d) continue; // keeps make_qx_quants' levels, as ggml does
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f(x[b + 16 * j + ii]! / d));
        L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
      }
    }
    for (let j = 0, ql = o, qh = o + 128; j < QK_K; j += 128, ql += 64, qh += 32) {
      for (let l = 0; l < 32; l++) {
        const a = L[j + l]!;
        const c = L[j + l + 32]!;
        const e = L[j + l + 64]!;
        const g = L[j + l + 96]!;
        out[ql + l] = (a & 0xf) | ((e & 0xf) << 4);
        out[ql + l + 32] = (c & 0xf) | ((g & 0xf) << 4);
        out[qh + l] = (a >> 4) | ((c >> 4) << 2) | ((e >> 4) << 4) | ((g >> 4) << 6);
      }
    }
  }
}

export function dequantizeQ6_K(bytes: Uint8Array, out: Float32Array): void {
  for (let b = 0, o = 0; b < out.length; b += QK_K, o += Q6_K_BYTES) {
    const d = fromHalf(bytes[o + 208]! | (bytes[o + 209]! << 8));
    for (let n = 0, ql = o, qh = o + 128, sc = o + 192, y = b; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8, y += 128) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = bytes[qh + l]!;
        const q1 = ((bytes[ql + l]! & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((bytes[ql + l + 32]! & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((bytes[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((bytes[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[y + l] = f(d * ((bytes[sc + is]! << 24) >> 24)) * q1;
        out[y + l + 32] = f(d * ((bytes[sc + is + 2]! << 24) >> 24)) * q2;
        out[y + l + 64] = f(d * ((bytes[sc + is + 4]! << 24) >> 24)) * q3;
        out[y + l + 96] = f(d * ((bytes[sc + is + 6]! << 24) >> 24)) * q4;
      }
    }
  }
}
