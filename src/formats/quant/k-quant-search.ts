/**
 * The scale searches of ggml's K-quant reference quantizers (ggml-quants.c make_qx_quants and
 * make_qkx2_quants), operation for operation in float32 (see ggml-rounding.ts), and the 6-bit scale/min
 * packing of Q4_K and Q5_K (get_scale_min_k4).
 */
import { f, nearestInt } from "./ggml-rounding.js";

/** GROUP_MAX_EPS in ggml-quants.c. */
const GROUP_MAX_EPS = f(1e-15);
const POINT_ONE = f(0.1);

/**
 * make_qx_quants with rmse_type 1 and no importance weights (what quantize_row_q6_K_ref calls): symmetric
 * levels in [−nmax, nmax−1], stored in L (offset by nmax) at `lOffset`; returns the scale.
 */
export function makeQxQuants(n: number, nmax: number, x: Float32Array, xOffset: number, L: Int8Array | Uint8Array, lOffset: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xOffset + i]!);
    if (ax > amax) {
      amax = ax;
      max = x[xOffset + i]!;
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lOffset + i] = 0;
    return 0;
  }
  let iscale = f(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xOffset + i]!;
    const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(f(iscale * xi))));
    L[lOffset + i] = l + nmax;
    const w = f(xi * xi);
    sumlx = f(sumlx + f(f(w * xi) * l));
    suml2 = f(suml2 + f(f(w * l) * l));
  }
  let scale = suml2 ? f(sumlx / suml2) : 0;
  let best = f(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f(-f(nmax + f(POINT_ONE * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xOffset + i]!;
      const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(f(iscale * xi))));
      const w = f(xi * xi);
      sumlx = f(sumlx + f(f(w * xi) * l));
      suml2 = f(suml2 + f(f(w * l) * l));
    }
    if (suml2 > 0 && f(sumlx * sumlx) > f(best * suml2)) {
      for (let i = 0; i < n; i++) {
        const l = nearestInt(f(iscale * x[xOffset + i]!));
        L[lOffset + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
      }
      scale = f(sumlx / suml2);
      best = f(scale * sumlx);
    }
  }
  return scale;
}

export interface ScaleAndMin {
  scale: number;
  /** −min of the fit: the amount subtracted after scaling (≥ 0). */
  negMin: number;
}

/**
 * make_qkx2_quants with use_mad = false: asymmetric levels in [0, nmax] for x ≈ scale·L − negMin, searched
 * over nstep + 1 candidate scales. Levels go to L at `lOffset`; `laux` is scratch of at least n entries.
 */
export function makeQkx2Quants(
  n: number, nmax: number, x: Float32Array, xOffset: number, weights: Float32Array, L: Uint8Array, lOffset: number,
  laux: Uint8Array, rmin: number, rdelta: number, nstep: number, result: ScaleAndMin,
): void {
  let min = x[xOffset]!;
  let max = x[xOffset]!;
  let sumW = weights[0]!;
  let sumX = f(sumW * x[xOffset]!);
  for (let i = 1; i < n; i++) {
    const xi = x[xOffset + i]!;
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i]!;
    sumW = f(sumW + w);
    sumX = f(sumX + f(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lOffset + i] = 0;
    result.scale = 0;
    result.negMin = -min;
    return;
  }
  let iscale = f(nmax / f(max - min));
  let scale = f(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xOffset + i]!;
    const l = Math.max(0, Math.min(nmax, nearestInt(f(iscale * f(xi - min)))));
    L[lOffset + i] = l;
    const diff = f(f(f(scale * l) + min) - xi);
    bestError = f(bestError + f(weights[i]! * f(diff * diff)));
  }
  for (let is = 0; is <= nstep; is++) {
    // min changes when a step wins, and later steps use the new one (as ggml does).
    iscale = f(f(f(rmin + f(rdelta * is)) + nmax) / f(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xOffset + i]!;
      const l = Math.max(0, Math.min(nmax, nearestInt(f(iscale * f(xi - min)))));
      laux[i] = l;
      const wl = f(weights[i]! * l);
      sumL = f(sumL + wl);
      sumL2 = f(sumL2 + f(wl * l));
      sumXL = f(sumXL + f(wl * xi));
    }
    const D = f(f(sumW * sumL2) - f(sumL * sumL));
    if (D > 0) {
      let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / D);
      let thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        const diff = f(f(f(thisScale * laux[i]!) + thisMin) - x[xOffset + i]!);
        curError = f(curError + f(weights[i]! * f(diff * diff)));
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lOffset + i] = laux[i]!;
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  result.scale = scale;
  result.negMin = -min;
}

/** get_scale_min_k4: the 6-bit scale and min of sub-block j from the 12 packed bytes at `offset`. */
export function getScaleMinK4(j: number, q: Uint8Array, offset: number, out: { sc: number; m: number }): void {
  if (j < 4) {
    out.sc = q[offset + j]! & 63;
    out.m = q[offset + j + 4]! & 63;
  } else {
    out.sc = (q[offset + j + 4]! & 0xf) | ((q[offset + j - 4]! >> 6) << 4);
    out.m = (q[offset + j + 4]! >> 4) | ((q[offset + j]! >> 6) << 4);
  }
}

/** Packs eight 6-bit scales and mins into 12 bytes at `offset` (the inverse of getScaleMinK4). */
export function packScalesMinsK4(ls: Uint8Array, lm: Uint8Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 12; i++) out[offset + i] = 0;
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      out[offset + j] = ls[j]!;
      out[offset + j + 4] = lm[j]!;
    } else {
      out[offset + j + 4] = (ls[j]! & 0xf) | ((lm[j]! & 0xf) << 4);
      out[offset + j - 4] |= (ls[j]! >> 4) << 6;
      out[offset + j] |= (lm[j]! >> 4) << 6;
    }
  }
}
