/**
 * Q4_K (ggml-common.h block_q4_K): a 256-value super-block of eight 32-value sub-blocks, 144 bytes:
 * f16 d, f16 dmin, scales[12] (eight 6-bit scales and eight 6-bit mins, packed as get_scale_min_k4 reads
 * them), qs[128] (4-bit levels; bytes 32k..32k+31 hold sub-block 2k in low nibbles and 2k+1 in high ones).
 * x = d·sc·q − dmin·m. Mirrors ggml-quants.c quantize_row_q4_K_ref and dequantize_row_q4_K.
 */
import { f, fromHalf, nearestInt, readHalf, writeHalf } from "./ggml-rounding.js";
import { getScaleMinK4, makeQkx2Quants, packScalesMinsK4, type ScaleAndMin } from "./k-quant-search.js";
import { QK_K } from "./ggml-type.js";

export const Q4_K_BYTES = 144;

const RDELTA = f(0.1);

/** Per-sub-block weights of the K-quant search: sqrt(mean x²) + |x| (quantize_row_q4_K_ref / q5_K_ref). */
export function kQuantWeights(x: Float32Array, offset: number, weights: Float32Array): void {
  let sumX2 = 0;
  for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(x[offset + l]! * x[offset + l]!));
  const avX = f(Math.sqrt(f(sumX2 / 32)));
  for (let l = 0; l < 32; l++) weights[l] = f(avX + Math.abs(x[offset + l]!));
}

/** Per-call scratch of quantizeKSuperBlock (single-threaded JS: reused, never shared across calls in flight). */
const SCRATCH = {
  weights: new Float32Array(32), laux: new Uint8Array(32), scales: new Float32Array(8), mins: new Float32Array(8),
  fit: { scale: 0, negMin: 0 } as ScaleAndMin, ls: new Uint8Array(8), lm: new Uint8Array(8), sm: { sc: 0, m: 0 },
};

/**
 * Shared by Q4_K and Q5_K: fits the eight sub-blocks, writes d, dmin and the packed scales at `o`, and leaves
 * each value's level (0..nmax) in L.
 */
export function quantizeKSuperBlock(
  x: Float32Array, b: number, out: Uint8Array, o: number, nmax: number, rmin: number, nstep: number, L: Uint8Array,
): void {
  const { weights, laux, scales, mins, fit, ls, lm, sm } = SCRATCH;
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    kQuantWeights(x, b + 32 * j, weights);
    makeQkx2Quants(32, nmax, x, b + 32 * j, weights, L, 32 * j, laux, rmin, RDELTA, nstep, fit);
    scales[j] = fit.scale;
    mins[j] = fit.negMin;
    if (fit.scale > maxScale) maxScale = fit.scale;
    if (fit.negMin > maxMin) maxMin = fit.negMin;
  }
  const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
  for (let j = 0; j < 8; j++) {
    // uint8_t ls = nearest_int(...): wraps modulo 256, then MIN(63, ls).
    ls[j] = Math.min(63, nearestInt(f(invScale * scales[j]!)) & 0xff);
    lm[j] = Math.min(63, nearestInt(f(invMin * mins[j]!)) & 0xff);
  }
  packScalesMinsK4(ls, lm, out, o + 4);
  writeHalf(out, o, f(maxScale / 63));
  writeHalf(out, o + 2, f(maxMin / 63));
  const d0 = readHalf(out, o);
  const dmin0 = readHalf(out, o + 2);
  for (let j = 0; j < 8; j++) {
    getScaleMinK4(j, out, o + 4, sm);
    const d = f(d0 * sm.sc);
    if (!d) continue; // keeps the search's levels, as ggml does
    const dm = f(dmin0 * sm.m);
    for (let ii = 0; ii < 32; ii++) {
      const l = nearestInt(f(f(x[b + 32 * j + ii]! + dm) / d));
      L[32 * j + ii] = Math.max(0, Math.min(nmax, l));
    }
  }
}

export function quantizeQ4_K(x: Float32Array, out: Uint8Array): void {
  const L = new Uint8Array(QK_K);
  for (let b = 0, o = 0; b < x.length; b += QK_K, o += Q4_K_BYTES) {
    quantizeKSuperBlock(x, b, out, o, 15, -1, 20, L);
    for (let j = 0, q = o + 16; j < QK_K; j += 64, q += 32) {
      for (let l = 0; l < 32; l++) out[q + l] = L[j + l]! | (L[j + l + 32]! << 4);
    }
  }
}

export function dequantizeQ4_K(bytes: Uint8Array, out: Float32Array): void {
  const sm = { sc: 0, m: 0 };
  for (let b = 0, o = 0; b < out.length; b += QK_K, o += Q4_K_BYTES) {
    const d = fromHalf(bytes[o]! | (bytes[o + 1]! << 8));
    const min = fromHalf(bytes[o + 2]! | (bytes[o + 3]! << 8));
    let y = b;
    for (let j = 0, is = 0, q = o + 16; j < QK_K; j += 64, is += 2, q += 32) {
      getScaleMinK4(is, bytes, o + 4, sm);
      const d1 = f(d * sm.sc);
      const m1 = f(min * sm.m);
      getScaleMinK4(is + 1, bytes, o + 4, sm);
      const d2 = f(d * sm.sc);
      const m2 = f(min * sm.m);
      for (let l = 0; l < 32; l++) out[y++] = f(d1 * (bytes[q + l]! & 0xf)) - m1;
      for (let l = 0; l < 32; l++) out[y++] = f(d2 * (bytes[q + l]! >> 4)) - m2;
    }
  }
}
