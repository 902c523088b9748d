/**
 * Q5_K (ggml-common.h block_q5_K): like Q4_K with a fifth bit per value, 176 bytes: f16 d, f16 dmin,
 * scales[12], qh[32] (bit 2k of qh[l] is value l of sub-block 2k's high bit, bit 2k+1 the one of sub-block
 * 2k+1), qs[128]. x = d·sc·q − dmin·m. Mirrors quantize_row_q5_K_ref and dequantize_row_q5_K.
 */
import { f, fromHalf } from "./ggml-rounding.js";
import { getScaleMinK4 } from "./k-quant-search.js";
import { QK_K } from "./ggml-type.js";
import { quantizeKSuperBlock } from "./q4-k.js";

export const Q5_K_BYTES = 176;

export function quantizeQ5_K(x: Float32Array, out: Uint8Array): void {
  const L = new Uint8Array(QK_K);
  for (let b = 0, o = 0; b < x.length; b += QK_K, o += Q5_K_BYTES) {
    quantizeKSuperBlock(x, b, out, o, 31, -0.5, 15, L);
    const qh = o + 16;
    for (let i = 0; i < 32; i++) out[qh + i] = 0;
    let m1 = 1;
    let m2 = 2;
    for (let n = 0, ql = o + 48; n < QK_K; n += 64, ql += 32) {
      for (let j = 0; j < 32; j++) {
        let l1 = L[n + j]!;
        if (l1 > 15) {
          l1 -= 16;
          out[qh + j] |= m1;
        }
        let l2 = L[n + j + 32]!;
        if (l2 > 15) {
          l2 -= 16;
          out[qh + j] |= m2;
        }
        out[ql + j] = l1 | (l2 << 4);
      }
      m1 <<= 2;
      m2 <<= 2;
    }
  }
}

export function dequantizeQ5_K(bytes: Uint8Array, out: Float32Array): void {
  const sm = { sc: 0, m: 0 };
  for (let b = 0, o = 0; b < out.length; b += QK_K, o += Q5_K_BYTES) {
    const d = fromHalf(bytes[o]! | (bytes[o + 1]! << 8));
    const min = fromHalf(bytes[o + 2]! | (bytes[o + 3]! << 8));
    const qh = o + 16;
    let y = b;
    let u1 = 1;
    let u2 = 2;
    for (let j = 0, is = 0, ql = o + 48; j < QK_K; j += 64, is += 2, ql += 32) {
      getScaleMinK4(is, bytes, o + 4, sm);
      const d1 = f(d * sm.sc);
      const m1 = f(min * sm.m);
      getScaleMinK4(is + 1, bytes, o + 4, sm);
      const d2 = f(d * sm.sc);
      const m2 = f(min * sm.m);
      for (let l = 0; l < 32; l++) out[y++] = f(d1 * ((bytes[ql + l]! & 0xf) + (bytes[qh + l]! & u1 ? 16 : 0))) - m1;
      for (let l = 0; l < 32; l++) out[y++] = f(d2 * ((bytes[ql + l]! >> 4) + (bytes[qh + l]! & u2 ? 16 : 0))) - m2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}
