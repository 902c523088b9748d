/*
 * out[T, N] = x[T, K] · wᵀ for every weight type, split into tiles of rows × tokens that the thread pool
 * runs in parallel. Each tile runs a register-blocked micro-kernel of RB rows × TB tokens.
 *
 * Float weights (F32/F16/BF16) meet float32 activations: the weight is widened exactly to float32 and the
 * products summed with FMA (dot-product form, one horizontal sum per output).
 * Quantized weights meet int8 activations (qx rows, see g4.h), as llama.cpp does: per 32-value block the
 * integer dot product is exact, then scaled by d_w·d_x in float. With the lane layout one unsigned×signed
 * dot-product instruction (vpdpbusd) covers 4 values of 16 blocks, so 8 of them give 16 block sums with no
 * horizontal reduction. Unsigned quants carry an offset (Q8_0 +128, Q4_0 +8, Q5_0 +16, Q6_K +32) that is
 * removed exactly with the activation block sums: Σ(q − o)·x = Σq·x − o·Σx.
 */
#include "g4.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__) && defined(__F16C__)
#define G4_AVX512 1
#include <immintrin.h>
#endif

#define ALWAYS_INLINE static inline __attribute__((always_inline))
/* Small constant loops of the micro-kernels must be unrolled so that accumulators stay in registers. */
#define UNROLL _Pragma("GCC unroll 16")

static int lane_bytes_of(int type) {
  switch (type) {
    case G4_Q8_0: return 32;
    case G4_Q4_0: case G4_Q4_1: case G4_Q4_K: return 16;
    case G4_Q5_0: case G4_Q5_1: return 20;
    case G4_Q6_K: return 24;
    default: return 0;
  }
}

static size_t wrow_bytes(int type, int K) {
  switch (type) {
    case G4_F32: return (size_t)K * 4;
    case G4_F16: case G4_BF16: return (size_t)K * 2;
    case G4_Q8_0: return (size_t)K / 32 * 34;
    case G4_Q4_0: return (size_t)K / 32 * 18;
    case G4_Q4_1: return (size_t)K / 32 * 20;
    case G4_Q5_0: return (size_t)K / 32 * 22;
    case G4_Q5_1: return (size_t)K / 32 * 24;
    case G4_Q4_K: return (size_t)K / 256 * 144;
    case G4_Q6_K: return (size_t)K / 256 * 210;
    default: return 0;
  }
}

/* ================================ float weights ================================ */

/* Matrix-vector products stream each weight once; the hardware prefetcher does not keep up with the
 * interleaved reads of a tile's rows (measured: Q8_0 11 → 32 GB/s, Q4_0 7 → 40 GB/s on one Zen core), so
 * the next tile of rows is requested explicitly while this one is computed (next_tile, prefetch_part). */
static inline void prefetch_line(const char *p) {
#if defined(__x86_64__)
  /* As an asm statement: GCC 12 drops __builtin_prefetch here once the tile code is inlined. */
  __asm__ volatile("prefetcht0 %0" : : "m"(*p));
#else
  __builtin_prefetch(p, 0, 3);
#endif
}

/* Part [i, i + step) of n of the next tile's `bytes` at pf (none when pf is NULL): spread over this tile's
 * loop, the requests arrive at the pace the weights are used and stay within what a core can keep in flight
 * (requesting a whole tile at once measured 21-30 GB/s for F16 rows from memory on one core, spread 30-37). */
static inline void prefetch_part(const char *pf, size_t bytes, int i, int step, int n) {
  if (!pf) return;
  size_t a = bytes * (size_t)i / (size_t)n & ~(size_t)63, b = i + step >= n ? bytes : bytes * (size_t)(i + step) / (size_t)n;
  for (; a < b; a += 64) prefetch_line(pf + a);
}

#ifdef G4_AVX512
ALWAYS_INLINE __m512 load_w16(int type, const void *w, size_t k, __mmask16 m) {
  switch (type) {
    case G4_F32: return _mm512_maskz_loadu_ps(m, (const float *)w + k);
    case G4_F16: return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)w + k));
    default: return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, (const uint16_t *)w + k)), 16));
  }
}

#define ELEM(type) ((type) == G4_F32 ? 4 : 2)
ALWAYS_INLINE void ftile(int type, const float *x, int K, const uint8_t *w, size_t rb, int RB, int TB, float *out, int outStride, const char *pf) {
  __m512 acc[4][4];
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++) acc[r][t] = _mm512_setzero_ps();
  for (int k = 0; k < K; k += 16) {
    __mmask16 m = K - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (K - k)) - 1);
    __m512 xv[4];
    UNROLL for (int t = 0; t < TB; t++) xv[t] = _mm512_maskz_loadu_ps(m, x + (size_t)t * K + k);
    /* The next tile's part for this step (as prefetch_part, without its division in this short loop). */
    if (pf) {
      for (int o = 0; o < RB * 16 * ELEM(type); o += 64) prefetch_line(pf + (size_t)k * RB * ELEM(type) + o);
    }
    UNROLL for (int r = 0; r < RB; r++) {
      __m512 wv = load_w16(type, w + (size_t)r * rb, (size_t)k, m);
      UNROLL for (int t = 0; t < TB; t++) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++) out[(size_t)t * outStride + r] = _mm512_reduce_add_ps(acc[r][t]);
}
#else
static inline float wval(int type, const uint8_t *w, size_t k) {
  switch (type) {
    case G4_F32: return ((const float *)w)[k];
    case G4_F16: return g4_f16_to_f32(((const uint16_t *)w)[k]);
    default: return g4_bf16_to_f32(((const uint16_t *)w)[k]);
  }
}

/* Portable form: 16 partial sums per output (as the AVX-512 form) let the compiler vectorize without
 * reassociating, and keep rounding error as low as the 16-lane kernels'. */
ALWAYS_INLINE void ftile(int type, const float *x, int K, const uint8_t *w, size_t rb, int RB, int TB, float *out, int outStride, const char *pf) {
  prefetch_part(pf, (size_t)RB * rb, 0, 1, 1); /* the whole next tile up front, as before spreading it */
  float wbuf[64];
  float acc[4][4][16];
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++)
      for (int j = 0; j < 16; j++) acc[r][t][j] = 0;
  for (int k0 = 0; k0 < K; k0 += 64) {
    int n = K - k0 < 64 ? K - k0 : 64;
    UNROLL for (int r = 0; r < RB; r++) {
      const uint8_t *wr = w + (size_t)r * rb;
      for (int i = 0; i < n; i++) wbuf[i] = wval(type, wr, (size_t)(k0 + i));
      for (int i = n; i < 64; i++) wbuf[i] = 0;
      UNROLL for (int t = 0; t < TB; t++) {
        const float *xt = x + (size_t)t * K + k0;
        float xb[64];
        for (int i = 0; i < n; i++) xb[i] = xt[i];
        for (int i = n; i < 64; i++) xb[i] = 0;
        for (int i = 0; i < 64; i += 16)
          for (int j = 0; j < 16; j++) acc[r][t][j] += wbuf[i + j] * xb[i + j];
      }
    }
  }
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++) {
      float s = 0;
      for (int j = 0; j < 16; j++) s += acc[r][t][j];
      out[(size_t)t * outStride + r] = s;
    }
}
#endif

/* ================================ quantized weights ================================ */

/* Offset of the unsigned quants (0 for formats with a min term). */
static inline int quant_offset(int type) {
  switch (type) {
    case G4_Q8_0: return 128;
    case G4_Q4_0: return 8;
    case G4_Q5_0: return 16;
    default: return 0;
  }
}

#ifdef G4_AVX512
/* Unsigned quants of chunk c of a legacy-format group (g lanes at `wg`). */
ALWAYS_INLINE __m512i unpack_chunk(int type, const uint8_t *wg, int g, int c, __mmask64 bm, __m512i H) {
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  if (type == G4_Q8_0) return _mm512_maskz_loadu_epi8(bm, wg + (size_t)c * 4 * g);
  __m512i v = _mm512_maskz_loadu_epi8(bm, wg + (size_t)(c & 3) * 4 * g);
  __m512i q = c < 4 ? _mm512_and_si512(v, low4) : _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
  if (type == G4_Q5_0 || type == G4_Q5_1) {
    const __m512i bit4 = _mm512_set1_epi8(0x10);
    __m512i h = c <= 4 ? _mm512_slli_epi32(H, 4 - c) : _mm512_srli_epi32(H, c - 4);
    q = _mm512_or_si512(q, _mm512_and_si512(h, bit4));
  }
  return q;
}

/* One tile of RB rows × TB tokens of a legacy format (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1). */
ALWAYS_INLINE void qtile_legacy(int type, const uint8_t *w, size_t rb, int RB, const uint8_t *qx, size_t qxb, int TB, int K, float *out, int outStride, const char *pf) {
  const int nb = K / 32, lb = lane_bytes_of(type), off = quant_offset(type);
  const int hasMin = type == G4_Q4_1 || type == G4_Q5_1;
  __m512 accf[4][3];
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++) accf[r][t] = _mm512_setzero_ps();
  for (int b0 = 0; b0 < nb; b0 += 16) {
    prefetch_part(pf, (size_t)RB * rb, b0, 16, nb);
    const int g = nb - b0 < 16 ? nb - b0 : 16;
    const __mmask16 lm = (__mmask16)((1u << g) - 1);
    const __mmask64 bm = g == 16 ? ~(__mmask64)0 : (((__mmask64)1 << (4 * g)) - 1);
    __m512i xinit[3];
    __m512 dx[3], dxs[3];
    UNROLL for (int t = 0; t < TB; t++) {
      const uint8_t *xg = qx + (size_t)t * qxb + (size_t)44 * b0;
      dx[t] = _mm512_maskz_loadu_ps(lm, xg + 32 * g);
      __m512i s = _mm512_add_epi32(_mm512_maskz_loadu_epi32(lm, xg + 36 * g), _mm512_maskz_loadu_epi32(lm, xg + 40 * g));
      if (hasMin) { dxs[t] = _mm512_mul_ps(dx[t], _mm512_cvtepi32_ps(s)); xinit[t] = _mm512_setzero_si512(); }
      else xinit[t] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_mullo_epi32(s, _mm512_set1_epi32(off)));
    }
    __m512i acc[4][3];
    __m512i H[4];
    UNROLL for (int r = 0; r < RB; r++) {
      UNROLL for (int t = 0; t < TB; t++) acc[r][t] = xinit[t];
      H[r] = (type == G4_Q5_0 || type == G4_Q5_1) ? _mm512_maskz_loadu_epi32(lm, w + (size_t)r * rb + (size_t)lb * b0 + 16 * g) : _mm512_setzero_si512();
    }
    UNROLL for (int c = 0; c < 8; c++) {
      __m512i xc[3];
      UNROLL for (int t = 0; t < TB; t++) xc[t] = _mm512_maskz_loadu_epi8(bm, qx + (size_t)t * qxb + (size_t)44 * b0 + (size_t)c * 4 * g);
      UNROLL for (int r = 0; r < RB; r++) {
        __m512i wq = unpack_chunk(type, w + (size_t)r * rb + (size_t)lb * b0, g, c, bm, H[r]);
        UNROLL for (int t = 0; t < TB; t++) acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], wq, xc[t]);
      }
    }
    UNROLL for (int r = 0; r < RB; r++) {
      const uint8_t *tail = w + (size_t)r * rb + (size_t)lb * nb;
      __m512 dw = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(lm, tail + 2 * b0));
      __m512 mw = hasMin ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(lm, tail + 2 * nb + 2 * b0)) : dw;
      UNROLL for (int t = 0; t < TB; t++) {
        accf[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][t]), _mm512_mul_ps(dw, dx[t]), accf[r][t]);
        if (hasMin) accf[r][t] = _mm512_fmadd_ps(mw, dxs[t], accf[r][t]);
      }
    }
  }
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++) out[(size_t)t * outStride + r] = _mm512_reduce_add_ps(accf[r][t]);
}

/* Q4_K scales and mins of the 8 sub-blocks of each of `n` (1 or 2) super-blocks → int32 lanes (lane 8k + j:
 * sub-block j of super-block k). Each super-block's 16 tail bytes (f16 d, f16 dmin, 12 bytes of 6-bit scales
 * and mins, packed as ggml's get_scale_min_k4) are widened to int32 lanes and picked apart with lane
 * permutes and per-lane shifts and masks. A single super-block (n = 1) is read twice: nothing past the row. */
ALWAYS_INLINE void q4k_scales(const uint8_t *sb, int n, __m512i *sc, __m512i *mn, __m512 *d, __m512 *dmin) {
  const uint8_t *p1 = n == 2 ? sb + 16 : sb;
  const __m512i b0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)sb));
  const __m512i b1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p1));
  /* Byte q[i] of super-block k is table entry 16k + 4 + i. */
  const __m512i idxLo = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);  /* sc: q[j] (j<4), q[j+4] (j≥4) */
  const __m512i idxM = _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);   /* m: q[j+4] */
  const __m512i idxScHi = _mm512_setr_epi32(4, 4, 4, 4, 4, 5, 6, 7, 20, 20, 20, 20, 20, 21, 22, 23);    /* q[j−4] (j≥4) */
  const __m512i idxMHi = _mm512_setr_epi32(4, 4, 4, 4, 8, 9, 10, 11, 20, 20, 20, 20, 24, 25, 26, 27);   /* q[j] (j≥4) */
  const __mmask16 upper = 0xF0F0; /* lanes with j ≥ 4 */
  const __m512i m63 = _mm512_set1_epi32(63), m15 = _mm512_set1_epi32(15);
  __m512i lo = _mm512_permutex2var_epi32(b0, idxLo, b1);
  __m512i scv = _mm512_mask_and_epi32(_mm512_and_si512(lo, m63), upper, lo, m15);
  scv = _mm512_mask_or_epi32(scv, upper, scv, _mm512_slli_epi32(_mm512_srli_epi32(_mm512_permutex2var_epi32(b0, idxScHi, b1), 6), 4));
  __m512i mq = _mm512_permutex2var_epi32(b0, idxM, b1);
  __m512i mnv = _mm512_mask_srli_epi32(_mm512_and_si512(mq, m63), upper, mq, 4);
  mnv = _mm512_mask_or_epi32(mnv, upper, mnv, _mm512_slli_epi32(_mm512_srli_epi32(_mm512_permutex2var_epi32(b0, idxMHi, b1), 6), 4));
  *sc = scv;
  *mn = mnv;
  uint16_t h[4];
  __builtin_memcpy(&h[0], sb, 2);
  __builtin_memcpy(&h[1], sb + 2, 2);
  __builtin_memcpy(&h[2], p1, 2);
  __builtin_memcpy(&h[3], p1 + 2, 2);
  *d = _mm512_cvtph_ps(_mm256_set_m128i(_mm_set1_epi16((short)h[2]), _mm_set1_epi16((short)h[0])));
  *dmin = _mm512_cvtph_ps(_mm256_set_m128i(_mm_set1_epi16((short)h[3]), _mm_set1_epi16((short)h[1])));
}

/* Q4_K: lanes are 32-value sub-blocks; value = d·sc·q − dmin·m. */
ALWAYS_INLINE void qtile_q4k(const uint8_t *w, size_t rb, int RB, const uint8_t *qx, size_t qxb, int TB, int K, float *out, int outStride, const char *pf) {
  const int nb = K / 32;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  __m512 accf[4][3];
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++) accf[r][t] = _mm512_setzero_ps();
  for (int b0 = 0; b0 < nb; b0 += 16) {
    prefetch_part(pf, (size_t)RB * rb, b0, 16, nb);
    const int g = nb - b0 < 16 ? nb - b0 : 16;
    const __mmask16 lm = (__mmask16)((1u << g) - 1);
    const __mmask64 bm = g == 16 ? ~(__mmask64)0 : (((__mmask64)1 << (4 * g)) - 1);
    __m512 dx[3];
    __m512i xs[3];
    UNROLL for (int t = 0; t < TB; t++) {
      const uint8_t *xg = qx + (size_t)t * qxb + (size_t)44 * b0;
      dx[t] = _mm512_maskz_loadu_ps(lm, xg + 32 * g);
      xs[t] = _mm512_add_epi32(_mm512_maskz_loadu_epi32(lm, xg + 36 * g), _mm512_maskz_loadu_epi32(lm, xg + 40 * g));
    }
    __m512i acc[4][3];
    UNROLL for (int r = 0; r < RB; r++)
      UNROLL for (int t = 0; t < TB; t++) acc[r][t] = _mm512_setzero_si512();
    UNROLL for (int v = 0; v < 4; v++) {
      __m512i xlo[3], xhi[3];
      UNROLL for (int t = 0; t < TB; t++) {
        const uint8_t *xg = qx + (size_t)t * qxb + (size_t)44 * b0;
        xlo[t] = _mm512_maskz_loadu_epi8(bm, xg + (size_t)v * 4 * g);
        xhi[t] = _mm512_maskz_loadu_epi8(bm, xg + (size_t)(v + 4) * 4 * g);
      }
      UNROLL for (int r = 0; r < RB; r++) {
        __m512i raw = _mm512_maskz_loadu_epi8(bm, w + (size_t)r * rb + (size_t)16 * b0 + (size_t)v * 4 * g);
        __m512i lo = _mm512_and_si512(raw, low4), hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low4);
        UNROLL for (int t = 0; t < TB; t++) acc[r][t] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc[r][t], lo, xlo[t]), hi, xhi[t]);
      }
    }
    UNROLL for (int r = 0; r < RB; r++) {
      __m512i sc, mn;
      __m512 d, dmin;
      q4k_scales(w + (size_t)r * rb + (size_t)16 * nb + (size_t)16 * (b0 / 8), g / 8, &sc, &mn, &d, &dmin);
      UNROLL for (int t = 0; t < TB; t++) {
        __m512 main = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_mullo_epi32(acc[r][t], sc)), d);
        __m512 mins = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_mullo_epi32(xs[t], mn)), dmin);
        accf[r][t] = _mm512_fmadd_ps(_mm512_maskz_mov_ps(lm, _mm512_sub_ps(main, mins)), dx[t], accf[r][t]);
      }
    }
  }
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++) out[(size_t)t * outStride + r] = _mm512_reduce_add_ps(accf[r][t]);
}

/* Q6_K: lanes are 32 values whose halves (chunks 0-3 and 4-7) have their own int8 scales. */
ALWAYS_INLINE void qtile_q6k(const uint8_t *w, size_t rb, int RB, const uint8_t *qx, size_t qxb, int TB, int K, float *out, int outStride, const char *pf) {
  const int nb = K / 32;
  const __m512i low4 = _mm512_set1_epi8(0x0f), bits45 = _mm512_set1_epi8(0x30);
  __m512 accf[4][3];
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++) accf[r][t] = _mm512_setzero_ps();
  for (int b0 = 0; b0 < nb; b0 += 16) {
    prefetch_part(pf, (size_t)RB * rb, b0, 16, nb);
    const int g = nb - b0 < 16 ? nb - b0 : 16;
    const __mmask16 lm = (__mmask16)((1u << g) - 1);
    const __mmask64 bm = g == 16 ? ~(__mmask64)0 : (((__mmask64)1 << (4 * g)) - 1);
    __m512 dx[3];
    __m512i initA[3], initB[3];
    UNROLL for (int t = 0; t < TB; t++) {
      const uint8_t *xg = qx + (size_t)t * qxb + (size_t)44 * b0;
      dx[t] = _mm512_maskz_loadu_ps(lm, xg + 32 * g);
      initA[t] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(_mm512_maskz_loadu_epi32(lm, xg + 36 * g), 5));
      initB[t] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(_mm512_maskz_loadu_epi32(lm, xg + 40 * g), 5));
    }
    __m512i accA[4][3], accB[4][3];
    UNROLL for (int r = 0; r < RB; r++)
      UNROLL for (int t = 0; t < TB; t++) { accA[r][t] = initA[t]; accB[r][t] = initB[t]; }
    UNROLL for (int v = 0; v < 4; v++) {
      __m512i xlo[3], xhi[3];
      UNROLL for (int t = 0; t < TB; t++) {
        const uint8_t *xg = qx + (size_t)t * qxb + (size_t)44 * b0;
        xlo[t] = _mm512_maskz_loadu_epi8(bm, xg + (size_t)v * 4 * g);
        xhi[t] = _mm512_maskz_loadu_epi8(bm, xg + (size_t)(v + 4) * 4 * g);
      }
      UNROLL for (int r = 0; r < RB; r++) {
        const uint8_t *wg = w + (size_t)r * rb + (size_t)24 * b0;
        __m512i raw = _mm512_maskz_loadu_epi8(bm, wg + (size_t)v * 4 * g);
        __m512i h0 = _mm512_maskz_loadu_epi8(bm, wg + (size_t)16 * g);     /* chunks 0-3 */
        __m512i h1 = _mm512_maskz_loadu_epi8(bm, wg + (size_t)20 * g);     /* chunks 4-7 */
        /* chunk v: bits 2v..2v+1 of h0 → bits 4..5; chunk v+4: same bits of h1. */
        __m512i hv0, hv1;
        switch (v) {
          case 0: hv0 = _mm512_slli_epi16(h0, 4); hv1 = _mm512_slli_epi16(h1, 4); break;
          case 1: hv0 = _mm512_slli_epi16(h0, 2); hv1 = _mm512_slli_epi16(h1, 2); break;
          case 2: hv0 = h0; hv1 = h1; break;
          default: hv0 = _mm512_srli_epi16(h0, 2); hv1 = _mm512_srli_epi16(h1, 2); break;
        }
        __m512i lo = _mm512_or_si512(_mm512_and_si512(raw, low4), _mm512_and_si512(hv0, bits45));
        __m512i hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(raw, 4), low4), _mm512_and_si512(hv1, bits45));
        UNROLL for (int t = 0; t < TB; t++) {
          accA[r][t] = _mm512_dpbusd_epi32(accA[r][t], lo, xlo[t]);
          accB[r][t] = _mm512_dpbusd_epi32(accB[r][t], hi, xhi[t]);
        }
      }
    }
    UNROLL for (int r = 0; r < RB; r++) {
      /* The group's two super-blocks (18 bytes each: 16 int8 scales, f16 d); a short last group has one,
       * read twice so that nothing past the row is touched (its lanes are masked off). Sub-block j of
       * super-block k has scales s[2j] (chunks 0-3) and s[2j+1] (chunks 4-7): sign-extended to int16 pairs,
       * each pair one int32 lane, they split into even (low half) and odd (high half) with two shifts. */
      const uint8_t *p0 = w + (size_t)r * rb + (size_t)24 * nb + (size_t)18 * (b0 / 8);
      const uint8_t *p1 = g == 16 ? p0 + 18 : p0;
      __m512i s16 = _mm512_cvtepi8_epi16(_mm256_set_m128i(_mm_loadu_si128((const __m128i *)p1), _mm_loadu_si128((const __m128i *)p0)));
      __m512i scA = _mm512_srai_epi32(_mm512_slli_epi32(s16, 16), 16), scB = _mm512_srai_epi32(s16, 16);
      uint16_t d0, d1;
      __builtin_memcpy(&d0, p0 + 16, 2);
      __builtin_memcpy(&d1, p1 + 16, 2);
      __m512 d = _mm512_maskz_mov_ps(lm, _mm512_cvtph_ps(_mm256_set_m128i(_mm_set1_epi16((short)d1), _mm_set1_epi16((short)d0))));
      UNROLL for (int t = 0; t < TB; t++) {
        __m512i s = _mm512_add_epi32(_mm512_mullo_epi32(accA[r][t], scA), _mm512_mullo_epi32(accB[r][t], scB));
        accf[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(d, dx[t]), accf[r][t]);
      }
    }
  }
  UNROLL for (int r = 0; r < RB; r++)
    UNROLL for (int t = 0; t < TB; t++) out[(size_t)t * outStride + r] = _mm512_reduce_add_ps(accf[r][t]);
}

ALWAYS_INLINE void qtile(int type, const uint8_t *w, size_t rb, int RB, const uint8_t *qx, size_t qxb, int TB, int K, float *out, int outStride, const char *pf) {
  switch (type) {
    case G4_Q4_K: qtile_q4k(w, rb, RB, qx, qxb, TB, K, out, outStride, pf); break;
    case G4_Q6_K: qtile_q6k(w, rb, RB, qx, qxb, TB, K, out, outStride, pf); break;
    default: qtile_legacy(type, w, rb, RB, qx, qxb, TB, K, out, outStride, pf); break;
  }
}
#else
/* Portable form: per lane, unpack the 32 unsigned quants and take the exact integer dot product. */
static void lane_quants(int type, const uint8_t *wg, int g, int l, int32_t *q) {
  switch (type) {
    case G4_Q8_0:
      UNROLL for (int c = 0; c < 8; c++)
        for (int b = 0; b < 4; b++) q[4 * c + b] = wg[(size_t)c * 4 * g + 4 * l + b];
      return;
    default: {
      UNROLL for (int v = 0; v < 4; v++)
        for (int b = 0; b < 4; b++) {
          uint8_t byte = wg[(size_t)v * 4 * g + 4 * l + b];
          q[4 * v + b] = byte & 15;
          q[16 + 4 * v + b] = byte >> 4;
        }
      if (type == G4_Q5_0 || type == G4_Q5_1) {
        const uint8_t *hp = wg + (size_t)16 * g + 4 * l;
        uint32_t h = (uint32_t)hp[0] | ((uint32_t)hp[1] << 8) | ((uint32_t)hp[2] << 16) | ((uint32_t)hp[3] << 24);
        UNROLL for (int c = 0; c < 8; c++)
          for (int b = 0; b < 4; b++) q[4 * c + b] |= (int32_t)(((h >> (c + 8 * b)) & 1) << 4);
      } else if (type == G4_Q6_K) {
        for (int k = 0; k < 2; k++)
          for (int b = 0; b < 4; b++) {
            uint8_t hv = wg[(size_t)16 * g + (size_t)k * 4 * g + 4 * l + b];
            for (int j = 0; j < 4; j++) q[4 * (4 * k + j) + b] |= ((hv >> (2 * j)) & 3) << 4;
          }
      }
      return;
    }
  }
}

ALWAYS_INLINE void qtile(int type, const uint8_t *w, size_t rb, int RB, const uint8_t *qx, size_t qxb, int TB, int K, float *out, int outStride, const char *pf) {
  prefetch_part(pf, (size_t)RB * rb, 0, 1, 1);
  const int nb = K / 32, lb = lane_bytes_of(type), off = quant_offset(type);
  UNROLL for (int r = 0; r < RB; r++) {
    const uint8_t *wr = w + (size_t)r * rb, *tail = wr + (size_t)lb * nb;
    float acc[3] = {0, 0, 0};
    int32_t q[32];
    for (int b = 0; b < nb; b++) {
      int b0 = b & ~15, g = nb - b0 < 16 ? nb - b0 : 16, l = b - b0;
      lane_quants(type, wr + (size_t)lb * b0, g, l, q);
      UNROLL for (int t = 0; t < TB; t++) {
        const uint8_t *xg = qx + (size_t)t * qxb + (size_t)44 * b0;
        const int8_t *xc = (const int8_t *)xg;
        int32_t sA = 0, sB = 0;
        UNROLL for (int c = 0; c < 8; c++)
          for (int i = 0; i < 4; i++) {
            int32_t p = q[4 * c + i] * xc[(size_t)c * 4 * g + 4 * l + i];
            if (c < 4) sA += p; else sB += p;
          }
        float dx = ((const float *)(xg + 32 * g))[l];
        int32_t xsA = ((const int32_t *)(xg + 36 * g))[l], xsB = ((const int32_t *)(xg + 40 * g))[l];
        float v;
        switch (type) {
          case G4_Q4_1: case G4_Q5_1: {
            float d = g4_f16_to_f32((uint16_t)(tail[2 * b] | (tail[2 * b + 1] << 8)));
            float m = g4_f16_to_f32((uint16_t)(tail[2 * nb + 2 * b] | (tail[2 * nb + 2 * b + 1] << 8)));
            v = (float)(sA + sB) * d * dx + m * (dx * (float)(xsA + xsB));
            break;
          }
          case G4_Q4_K: {
            const uint8_t *p = tail + 16 * (b / 8), *s = p + 4;
            int j = b % 8, sc, mn;
            if (j < 4) { sc = s[j] & 63; mn = s[j + 4] & 63; }
            else { sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4); mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
            float d = g4_f16_to_f32((uint16_t)(p[0] | (p[1] << 8))), dmin = g4_f16_to_f32((uint16_t)(p[2] | (p[3] << 8)));
            v = ((float)((sA + sB) * sc) * d - (float)((xsA + xsB) * mn) * dmin) * dx;
            break;
          }
          case G4_Q6_K: {
            const uint8_t *p = tail + 18 * (b / 8);
            int j = b % 8;
            float d = g4_f16_to_f32((uint16_t)(p[16] | (p[17] << 8)));
            int32_t s = (sA - 32 * xsA) * (int8_t)p[2 * j] + (sB - 32 * xsB) * (int8_t)p[2 * j + 1];
            v = (float)s * (d * dx);
            break;
          }
          default: {
            float d = g4_f16_to_f32((uint16_t)(tail[2 * b] | (tail[2 * b + 1] << 8)));
            v = (float)(sA + sB - off * (xsA + xsB)) * (d * dx);
            break;
          }
        }
        acc[t] += v;
      }
    }
    UNROLL for (int t = 0; t < TB; t++) out[(size_t)t * outStride + r] = acc[t];
  }
}
#endif

/* ================================ tiling and threads ================================ */

typedef struct {
  int type, T, K, N, outStride;
  const float *x;
  const uint8_t *w; /* row 0 of this product */
  const uint8_t *qx;
  float *out;
  size_t rb, qxb;
  int rowTile, tokTile, nTokTiles;
} mm_job;

#define DISPATCH_RB_TB(CALL)                                                                             \
  switch (RB * 8 + TB) {                                                                                 \
    case 4 * 8 + 3: CALL(4, 3); break; case 4 * 8 + 2: CALL(4, 2); break; case 4 * 8 + 1: CALL(4, 1); break; \
    case 3 * 8 + 3: CALL(3, 3); break; case 3 * 8 + 2: CALL(3, 2); break; case 3 * 8 + 1: CALL(3, 1); break; \
    case 2 * 8 + 3: CALL(2, 3); break; case 2 * 8 + 2: CALL(2, 2); break; case 2 * 8 + 1: CALL(2, 1); break; \
    case 1 * 8 + 3: CALL(1, 3); break; case 1 * 8 + 2: CALL(1, 2); break; default: CALL(1, 1); break;        \
  }


/* Matrix-vector products stream each weight once: the next tile of rows (when inside this task's rows) is
 * prefetched as this one is computed (prefetching further ahead, 4-16 KiB, measured the same from memory on
 * one core). Matrix-matrix products reuse each tile across tokens and need none. */
static inline const char *next_tile(const mm_job *j, const uint8_t *w, int nt, int r, int rows, int end) {
  return nt <= 3 && r + 2 * rows <= end ? (const char *)(w + (size_t)rows * j->rb) : NULL;
}

static void float_tile(const mm_job *j, int r0, int nr, int t0, int nt) {
  for (int r = r0; r < r0 + nr; r += 4) {
    int RB = r0 + nr - r < 4 ? r0 + nr - r : 4;
    const uint8_t *w = j->w + (size_t)r * j->rb;
    const char *pf = next_tile(j, w, nt, r, 4, r0 + nr);
    for (int t = t0; t < t0 + nt; t += 3) {
      int TB = t0 + nt - t < 3 ? t0 + nt - t : 3;
      const float *x = j->x + (size_t)t * j->K;
      float *out = j->out + (size_t)t * j->outStride + r;
#define FCALL(R, B)                                                                              \
  switch (j->type) {                                                                             \
    case G4_F32: ftile(G4_F32, x, j->K, w, j->rb, R, B, out, j->outStride, pf); break;                \
    case G4_F16: ftile(G4_F16, x, j->K, w, j->rb, R, B, out, j->outStride, pf); break;                \
    default: ftile(G4_BF16, x, j->K, w, j->rb, R, B, out, j->outStride, pf); break;                   \
  }
      DISPATCH_RB_TB(FCALL)
#undef FCALL
    }
  }
}

#ifndef G4_QRB
#define G4_QRB 4
#endif
static void quant_tile(const mm_job *j, int r0, int nr, int t0, int nt) {
  const int rbMax = nt == 1 ? G4_QRB : 4;
  for (int r = r0; r < r0 + nr; r += rbMax) {
    int RB = r0 + nr - r < rbMax ? r0 + nr - r : rbMax;
    const uint8_t *w = j->w + (size_t)r * j->rb;
    const char *pf = next_tile(j, w, nt, r, rbMax, r0 + nr);
    for (int t = t0; t < t0 + nt; t += 3) {
      int TB = t0 + nt - t < 3 ? t0 + nt - t : 3;
      const uint8_t *qx = j->qx + (size_t)t * j->qxb;
      float *out = j->out + (size_t)t * j->outStride + r;
#define QCALL(R, B)                                                                   \
  switch (j->type) {                                                                  \
    case G4_Q8_0: qtile(G4_Q8_0, w, j->rb, R, qx, j->qxb, B, j->K, out, j->outStride, pf); break; \
    case G4_Q4_0: qtile(G4_Q4_0, w, j->rb, R, qx, j->qxb, B, j->K, out, j->outStride, pf); break; \
    case G4_Q4_1: qtile(G4_Q4_1, w, j->rb, R, qx, j->qxb, B, j->K, out, j->outStride, pf); break; \
    case G4_Q5_0: qtile(G4_Q5_0, w, j->rb, R, qx, j->qxb, B, j->K, out, j->outStride, pf); break; \
    case G4_Q5_1: qtile(G4_Q5_1, w, j->rb, R, qx, j->qxb, B, j->K, out, j->outStride, pf); break; \
    case G4_Q4_K: qtile(G4_Q4_K, w, j->rb, R, qx, j->qxb, B, j->K, out, j->outStride, pf); break; \
    default: qtile(G4_Q6_K, w, j->rb, R, qx, j->qxb, B, j->K, out, j->outStride, pf); break;      \
  }
      DISPATCH_RB_TB(QCALL)
#undef QCALL
    }
  }
}

static void mm_task(void *ctx, int task, int thread) {
  (void)thread;
  const mm_job *j = (const mm_job *)ctx;
  int ri = task / j->nTokTiles, ti = task % j->nTokTiles;
  int r0 = ri * j->rowTile, t0 = ti * j->tokTile;
  int nr = j->N - r0 < j->rowTile ? j->N - r0 : j->rowTile;
  int nt = j->T - t0 < j->tokTile ? j->T - t0 : j->tokTile;
  if (j->type <= G4_BF16) float_tile(j, r0, nr, t0, nt);
  else quant_tile(j, r0, nr, t0, nt);
}

typedef struct {
  const float *x;
  int K;
  uint8_t *qx;
  int perTask, T;
} qx_job;

static void G4K(quantize_x)(const float *x, int T, int K, uint8_t *qx);

static void qx_task(void *ctx, int task, int thread) {
  (void)thread;
  const qx_job *j = (const qx_job *)ctx;
  int t0 = task * j->perTask, n = j->T - t0 < j->perTask ? j->T - t0 : j->perTask;
  G4K(quantize_x)(j->x + (size_t)t0 * j->K, n, j->K, j->qx + (size_t)t0 * g4_qx_row_bytes(j->K));
}

static void G4K(matmul)(int type, const float *x, int T, int K, const uint8_t *w, int row0, int N, float *out, int outStride, uint8_t *qx, int qxReady) {
  mm_job j;
  j.type = type; j.T = T; j.K = K; j.N = N; j.outStride = outStride; j.x = x; j.out = out;
  j.rb = wrow_bytes(type, K);
  j.w = w + (size_t)row0 * j.rb;
  j.qxb = g4_qx_row_bytes(K);
  j.qx = qx;
  if (type > G4_BF16 && !qxReady) {
    qx_job q = { x, K, qx, T < 8 ? T : (T + 2 * g4_num_threads() - 1) / (2 * g4_num_threads()), T };
    if (q.perTask < 1) q.perTask = 1;
    g4_parallel((T + q.perTask - 1) / q.perTask, qx_task, &q);
  }
  int threads = g4_num_threads();
  if (T <= 3) {
    /* Matrix-vector: split rows only, ~8 tiles per thread for balance, tiles a multiple of 4 rows. */
    j.tokTile = T;
    int tile = (N + 8 * threads - 1) / (8 * threads);
    tile = (tile + 3) & ~3;
    j.rowTile = tile < 16 ? 16 : tile;
  } else {
    /* Matrix-matrix: tiles of 48 tokens × 64 rows keep the activation tile in L2 and the weight rows in L1. */
    j.tokTile = 48;
    j.rowTile = 64;
    size_t xbytes = type <= G4_BF16 ? (size_t)K * 4 : j.qxb;
    while (j.tokTile > 6 && (size_t)j.tokTile * xbytes > ((size_t)384 << 10)) j.tokTile -= 6;
    int tasks = ((N + j.rowTile - 1) / j.rowTile) * ((T + j.tokTile - 1) / j.tokTile);
    while (tasks < 4 * threads && j.rowTile > 16) {
      j.rowTile /= 2;
      tasks = ((N + j.rowTile - 1) / j.rowTile) * ((T + j.tokTile - 1) / j.tokTile);
    }
  }
  j.nTokTiles = (T + j.tokTile - 1) / j.tokTile;
  int nRowTiles = (N + j.rowTile - 1) / j.rowTile;
  g4_parallel(nRowTiles * j.nTokTiles, mm_task, &j);
}
