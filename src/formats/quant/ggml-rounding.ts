/**
 * The scalar float32 habits of ggml's reference quantizers, emulated exactly in JavaScript doubles.
 *
 * ggml computes in float32: every + − × ÷ and sqrtf rounds to float32 once. A double operation on float32
 * inputs followed by Math.fround gives that same correctly rounded float32 result (a double carries more
 * than 2·24 + 2 bits), so the quantizers here wrap each C operation in `f()`. The vectors in
 * test/fixtures/quant come from a build without FMA contraction (-ffp-contract=off), which is what the C
 * source says; builds that fuse a·b + c into one rounding quantize a few edge values differently.
 */
import { f16ToF32, f32ToF16 } from "../dtype.js";

export const f = Math.fround;

/** ggml-quants.c nearest_int: adds 1.5·2²³ in float32 (round half to even), valid for |x| ≤ 4194303. */
export function nearestInt(x: number): number {
  return f(x + 12582912) - 12582912;
}

/** C roundf: halves away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** C float → integer conversion: truncation toward zero. */
export function truncToInt(x: number): number {
  return Math.trunc(x);
}

/** GGML_FP32_TO_FP16 (round to nearest even, overflow to ±Inf). */
export const toHalf = f32ToF16;
/** GGML_FP16_TO_FP32 (exact). */
export const fromHalf = f16ToF32;

/** float32 bytes → little-endian Uint16 half bits at `offset`. */
export function writeHalf(out: Uint8Array, offset: number, value: number): void {
  const h = f32ToF16(value);
  out[offset] = h & 0xff;
  out[offset + 1] = h >>> 8;
}

export function readHalf(bytes: Uint8Array, offset: number): number {
  return f16ToF32(bytes[offset]! | (bytes[offset + 1]! << 8));
}
