/*
 * The training backend's matrix product as WebAssembly SIMD128 (f32x4): C[M,N] (+)= A[M,K] · B[N,K]^T, both
 * operands K-contiguous (x·W^T with W [out, in] as PyTorch stores it). A 2×4 register block of f32x4 sums
 * (8 accumulators + 6 loads fit the 16 vector registers V8 uses) runs at ~10 GFLOP/s per core here, ~5×
 * the blocked TypeScript loop in gemm.ts. Sums are float32 in k-strided lanes, then added across lanes.
 *
 * Build: scripts/build-train-wasm.sh (clang --target=wasm32 -msimd128) writes gemm-simd-wasm.ts.
 */
#include <wasm_simd128.h>

/* clang may lower a local array initialiser to memset; there is no libc here. */
void* memset(void* d, int c, unsigned long n) { unsigned char* p = d; while (n--) *p++ = (unsigned char)c; return d; }
/* C[M,N] (+)= A[M,K] · B[N,K]^T ; K-contiguous rows, f32x4 over k, 2x4 register block. */
static inline float hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}
__attribute__((export_name("gemm_nt")))
void gemm_nt(const float* A, const float* B, float* C, int M, int N, int K, int acc) {
  int K4 = K & ~3;
  int m = 0;
  for (; m + 1 < M; m += 2) {
    const float* a0 = A + (long)m * K; const float* a1 = a0 + K;
    int n = 0;
    for (; n + 3 < N; n += 4) {
      const float* b0 = B + (long)n * K; const float* b1 = b0 + K; const float* b2 = b1 + K; const float* b3 = b2 + K;
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
      for (int k = 0; k < K4; k += 4) {
        v128_t x0 = wasm_v128_load(a0 + k), x1 = wasm_v128_load(a1 + k);
        v128_t y0 = wasm_v128_load(b0 + k), y1 = wasm_v128_load(b1 + k), y2 = wasm_v128_load(b2 + k), y3 = wasm_v128_load(b3 + k);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, y0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, y1));
        c02 = wasm_f32x4_add(c02, wasm_f32x4_mul(x0, y2)); c03 = wasm_f32x4_add(c03, wasm_f32x4_mul(x0, y3));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, y0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, y1));
        c12 = wasm_f32x4_add(c12, wasm_f32x4_mul(x1, y2)); c13 = wasm_f32x4_add(c13, wasm_f32x4_mul(x1, y3));
      }
      float s[8] = { hsum(c00), hsum(c01), hsum(c02), hsum(c03), hsum(c10), hsum(c11), hsum(c12), hsum(c13) };
      for (int k = K4; k < K; k++) {
        s[0] += a0[k] * b0[k]; s[1] += a0[k] * b1[k]; s[2] += a0[k] * b2[k]; s[3] += a0[k] * b3[k];
        s[4] += a1[k] * b0[k]; s[5] += a1[k] * b1[k]; s[6] += a1[k] * b2[k]; s[7] += a1[k] * b3[k];
      }
      float* c0 = C + (long)m * N + n; float* c1 = c0 + N;
      if (acc) { c0[0] += s[0]; c0[1] += s[1]; c0[2] += s[2]; c0[3] += s[3]; c1[0] += s[4]; c1[1] += s[5]; c1[2] += s[6]; c1[3] += s[7]; }
      else { c0[0] = s[0]; c0[1] = s[1]; c0[2] = s[2]; c0[3] = s[3]; c1[0] = s[4]; c1[1] = s[5]; c1[2] = s[6]; c1[3] = s[7]; }
    }
    for (; n < N; n++) {
      const float* b0 = B + (long)n * K;
      float s0 = 0, s1 = 0;
      for (int k = 0; k < K; k++) { s0 += a0[k] * b0[k]; s1 += a1[k] * b0[k]; }
      if (acc) { C[(long)m * N + n] += s0; C[(long)(m + 1) * N + n] += s1; } else { C[(long)m * N + n] = s0; C[(long)(m + 1) * N + n] = s1; }
    }
  }
  for (; m < M; m++) {
    const float* a0 = A + (long)m * K;
    for (int n = 0; n < N; n++) {
      const float* b0 = B + (long)n * K;
      v128_t c = wasm_f32x4_splat(0);
      for (int k = 0; k < K4; k += 4) c = wasm_f32x4_add(c, wasm_f32x4_mul(wasm_v128_load(a0 + k), wasm_v128_load(b0 + k)));
      float s = hsum(c);
      for (int k = K4; k < K; k++) s += a0[k] * b0[k];
      if (acc) C[(long)m * N + n] += s; else C[(long)m * N + n] = s;
    }
  }
}

/*
 * C[M,N] (+)= A·B with B [K,N] row-major (N contiguous) and A read as A[m·sam + k·sak]: the NN product
 * (A [M,K]: sam = K, sak = 1) and the TN product (A stored [K,M]: sam = 1, sak = M) without transposing
 * anything. A 4×8 block of C stays in 8 f32x4 registers while k runs; each step is an outer product of 4
 * values of A (splatted) with 8 of B's row k.
 */
__attribute__((export_name("gemm_xn")))
void gemm_xn(const float* A, int sam, int sak, const float* B, float* C, int M, int N, int K, int acc) {
  int N8 = N & ~7;
  int m = 0;
  for (; m + 3 < M; m += 4) {
    const float* a0 = A + (long)m * sam; const float* a1 = a0 + sam; const float* a2 = a1 + sam; const float* a3 = a2 + sam;
    int n = 0;
    for (; n < N8; n += 8) {
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (int k = 0; k < K; k++) {
        const float* b = B + (long)k * N + n;
        v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
        long ko = (long)k * sak;
        v128_t x0 = wasm_f32x4_splat(a0[ko]), x1 = wasm_f32x4_splat(a1[ko]), x2 = wasm_f32x4_splat(a2[ko]), x3 = wasm_f32x4_splat(a3[ko]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0)); c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0)); c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
      }
      float* o0 = C + (long)m * N + n; float* o1 = o0 + N; float* o2 = o1 + N; float* o3 = o2 + N;
      if (acc) {
        c00 = wasm_f32x4_add(c00, wasm_v128_load(o0)); c01 = wasm_f32x4_add(c01, wasm_v128_load(o0 + 4));
        c10 = wasm_f32x4_add(c10, wasm_v128_load(o1)); c11 = wasm_f32x4_add(c11, wasm_v128_load(o1 + 4));
        c20 = wasm_f32x4_add(c20, wasm_v128_load(o2)); c21 = wasm_f32x4_add(c21, wasm_v128_load(o2 + 4));
        c30 = wasm_f32x4_add(c30, wasm_v128_load(o3)); c31 = wasm_f32x4_add(c31, wasm_v128_load(o3 + 4));
      }
      wasm_v128_store(o0, c00); wasm_v128_store(o0 + 4, c01); wasm_v128_store(o1, c10); wasm_v128_store(o1 + 4, c11);
      wasm_v128_store(o2, c20); wasm_v128_store(o2 + 4, c21); wasm_v128_store(o3, c30); wasm_v128_store(o3 + 4, c31);
    }
    for (; n < N; n++) {
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int k = 0; k < K; k++) {
        float b = B[(long)k * N + n];
        long ko = (long)k * sak;
        s0 += a0[ko] * b; s1 += a1[ko] * b; s2 += a2[ko] * b; s3 += a3[ko] * b;
      }
      float* o = C + (long)m * N + n;
      if (acc) { o[0] += s0; o[N] += s1; o[2 * N] += s2; o[3 * N] += s3; }
      else { o[0] = s0; o[N] = s1; o[2 * N] = s2; o[3 * N] = s3; }
    }
  }
  for (; m < M; m++) {
    const float* a0 = A + (long)m * sam;
    int n = 0;
    for (; n < N8; n += 8) {
      v128_t c0 = wasm_f32x4_splat(0), c1 = c0;
      for (int k = 0; k < K; k++) {
        const float* b = B + (long)k * N + n;
        v128_t x = wasm_f32x4_splat(a0[(long)k * sak]);
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(x, wasm_v128_load(b)));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(x, wasm_v128_load(b + 4)));
      }
      float* o = C + (long)m * N + n;
      if (acc) { c0 = wasm_f32x4_add(c0, wasm_v128_load(o)); c1 = wasm_f32x4_add(c1, wasm_v128_load(o + 4)); }
      wasm_v128_store(o, c0); wasm_v128_store(o + 4, c1);
    }
    for (; n < N; n++) {
      float s = 0;
      for (int k = 0; k < K; k++) s += a0[(long)k * sak] * B[(long)k * N + n];
      if (acc) C[(long)m * N + n] += s; else C[(long)m * N + n] = s;
    }
  }
}
