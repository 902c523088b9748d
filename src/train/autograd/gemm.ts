/**
 * Float32 matrix products for training: C = A·Bᵀ (NT), A·B (NN) and Aᵀ·B (TN), all row-major. With
 * WebAssembly SIMD (kernels/gemm-simd.c, ~20 GFLOP/s per core here), when the product is big enough to pay
 * for the copies into its memory, each layout has its own kernel and nothing is transposed; the fallback is
 * one TypeScript NT kernel with 4×4 register blocking (sixteen running sums in doubles; ~3 GFLOP/s) after
 * transposing the operands, O(M·K + N·K) against the product's O(M·N·K).
 */
import { simdGemm } from "../kernels/simd-gemm.js";

/** Below this many multiply-adds the copies into WebAssembly memory cost more than they save. */
const SIMD_MIN_WORK = 4096;

/** C[M, N] = A[M, K] · B[N, K]ᵀ, or C += … when `accumulate`. */
export function gemmNT(A: Float32Array, B: Float32Array, C: Float32Array, M: number, N: number, K: number, accumulate = false): void {
  if (A.length < M * K || B.length < N * K || C.length < M * N) throw new Error(`gemm: buffers too small for ${M}×${N}×${K}`);
  const simd = M * N * K >= SIMD_MIN_WORK ? simdGemm() : null;
  if (simd) simd.gemmNT(A, B, C, M, N, K, accumulate);
  else gemmNTScalar(A, B, C, M, N, K, accumulate);
}

/** The TypeScript kernel (also the fallback without WebAssembly SIMD). */
export function gemmNTScalar(A: Float32Array, B: Float32Array, C: Float32Array, M: number, N: number, K: number, accumulate = false): void {
  if (A.length < M * K || B.length < N * K || C.length < M * N) throw new Error(`gemm: buffers too small for ${M}×${N}×${K}`);
  let m = 0;
  for (; m + 3 < M; m += 4) {
    const a0 = m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    let n = 0;
    for (; n + 3 < N; n += 4) {
      const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k]!, x1 = A[a1 + k]!, x2 = A[a2 + k]!, x3 = A[a3 + k]!;
        const y0 = B[b0 + k]!, y1 = B[b1 + k]!, y2 = B[b2 + k]!, y3 = B[b3 + k]!;
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      let o = m * N + n;
      if (accumulate) {
        C[o] += c00; C[o + 1] += c01; C[o + 2] += c02; C[o + 3] += c03; o += N;
        C[o] += c10; C[o + 1] += c11; C[o + 2] += c12; C[o + 3] += c13; o += N;
        C[o] += c20; C[o + 1] += c21; C[o + 2] += c22; C[o + 3] += c23; o += N;
        C[o] += c30; C[o + 1] += c31; C[o + 2] += c32; C[o + 3] += c33;
      } else {
        C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += N;
        C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += N;
        C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += N;
        C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
      }
    }
    for (; n < N; n++) for (let r = 0; r < 4; r++) store(C, (m + r) * N + n, dot(A, (m + r) * K, B, n * K, K), accumulate);
  }
  for (; m < M; m++) {
    let n = 0;
    const a = m * K;
    for (; n + 3 < N; n += 4) {
      const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k = 0; k < K; k++) {
        const x = A[a + k]!;
        c0 += x * B[b0 + k]!; c1 += x * B[b1 + k]!; c2 += x * B[b2 + k]!; c3 += x * B[b3 + k]!;
      }
      const o = m * N + n;
      store(C, o, c0, accumulate); store(C, o + 1, c1, accumulate); store(C, o + 2, c2, accumulate); store(C, o + 3, c3, accumulate);
    }
    for (; n < N; n++) store(C, m * N + n, dot(A, a, B, n * K, K), accumulate);
  }
}

function dot(A: Float32Array, a: number, B: Float32Array, b: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += A[a + k]! * B[b + k]!;
  return s;
}

function store(C: Float32Array, i: number, v: number, accumulate: boolean): void {
  if (accumulate) C[i] += v;
  else C[i] = v;
}

/** src [rows, cols] → [cols, rows]. */
export function transpose(src: Float32Array, rows: number, cols: number, out = new Float32Array(rows * cols)): Float32Array {
  const B = 32; // tiles keep both sides' cache lines warm
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = src[r * cols + c]!;
    }
  }
  return out;
}

/** C[M, N] (+)= A[M, K] · B[K, N]. */
export function gemmNN(A: Float32Array, B: Float32Array, C: Float32Array, M: number, N: number, K: number, accumulate = false): void {
  const simd = M * N * K >= SIMD_MIN_WORK ? simdGemm() : null;
  if (simd) simd.gemmNN(A, B, C, M, N, K, accumulate);
  else gemmNTScalar(A, transpose(B, K, N), C, M, N, K, accumulate);
}

/** C[M, N] (+)= A[K, M]ᵀ · B[K, N]. */
export function gemmTN(A: Float32Array, B: Float32Array, C: Float32Array, M: number, N: number, K: number, accumulate = false): void {
  const simd = M * N * K >= SIMD_MIN_WORK ? simdGemm() : null;
  if (simd) simd.gemmTN(A, B, C, M, N, K, accumulate);
  else gemmNTScalar(transpose(A, K, M), transpose(B, K, N), C, M, N, K, accumulate);
}
