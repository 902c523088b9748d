/*
 * Attention over a KV store and writes into it. The store is slot-major [capacity, nKV, d], keys and values
 * in float32 or float16, each slot tagged with the absolute position it holds (−1 = empty).
 *
 * A task is (query row t, KV head, slice of slots): it computes the scores of every query head of the
 * group over the visible slots of its slice (p ≤ q, and q − p < W on sliding layers), softcap, and then
 * either the finished softmax·V (one slice) or a partial (max, sum, unnormalised output) that a second pass
 * combines, the way flash-decoding splits a long cache over threads when there are few query rows.
 */
#include "g4.h"
#include "g4-math.h"

#if defined(__AVX512F__) && defined(__F16C__)
#include <immintrin.h>
#define G4_ATT_AVX512 1
#endif

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE float dot_qk(int kvType, const float *q, const void *k, int d) {
#ifdef G4_ATT_AVX512
  __m512 acc = _mm512_setzero_ps();
  for (int i = 0; i < d; i += 16) {
    __mmask16 m = d - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (d - i)) - 1);
    __m512 kv = kvType == G4_KV_F16 ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)k + i)) : _mm512_maskz_loadu_ps(m, (const float *)k + i);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), kv, acc);
  }
  return _mm512_reduce_add_ps(acc);
#else
  float part[8] = {0};
  int i = 0;
  if (kvType == G4_KV_F16) {
    const uint16_t *kh = (const uint16_t *)k;
    for (; i + 8 <= d; i += 8)
      for (int j = 0; j < 8; j++) part[j] += q[i + j] * g4_f16_to_f32(kh[i + j]);
    for (; i < d; i++) part[0] += q[i] * g4_f16_to_f32(kh[i]);
  } else {
    const float *kf = (const float *)k;
    for (; i + 8 <= d; i += 8)
      for (int j = 0; j < 8; j++) part[j] += q[i + j] * kf[i + j];
    for (; i < d; i++) part[0] += q[i] * kf[i];
  }
  float s = 0;
  for (int j = 0; j < 8; j++) s += part[j];
  return s;
#endif
}

/* acc[0..d) += p · v */
ALWAYS_INLINE void axpy_v(int kvType, float p, const void *v, float *acc, int d) {
#ifdef G4_ATT_AVX512
  __m512 pv = _mm512_set1_ps(p);
  for (int i = 0; i < d; i += 16) {
    __mmask16 m = d - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (d - i)) - 1);
    __m512 vv = kvType == G4_KV_F16 ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)v + i)) : _mm512_maskz_loadu_ps(m, (const float *)v + i);
    _mm512_mask_storeu_ps(acc + i, m, _mm512_fmadd_ps(pv, vv, _mm512_maskz_loadu_ps(m, acc + i)));
  }
#else
  if (kvType == G4_KV_F16) {
    const uint16_t *vh = (const uint16_t *)v;
    for (int i = 0; i < d; i++) acc[i] += p * g4_f16_to_f32(vh[i]);
  } else {
    const float *vf = (const float *)v;
    for (int i = 0; i < d; i++) acc[i] += p * vf[i];
  }
#endif
}

typedef struct {
  int kvType, T, used, nH, nKV, d, window, group, nChunks, chunkLen;
  const float *q;
  const int32_t *qPos, *slotPos;
  const uint8_t *k, *v;
  size_t slotBytes, elem;
  float scale, softcap;
  float *out;
  float *scores;   /* per thread: group × chunkLen */
  float *partials; /* per task, when nChunks > 1: group × (d + 2) */
} att_job;

static void att_task(void *ctx, int task, int thread) {
  const att_job *j = (const att_job *)ctx;
  const int chunk = task % j->nChunks, kvh = (task / j->nChunks) % j->nKV, t = task / (j->nChunks * j->nKV);
  const int G = j->group, d = j->d;
  const int s0 = chunk * j->chunkLen, s1 = s0 + j->chunkLen < j->used ? s0 + j->chunkLen : j->used;
  const int qp = j->qPos[t];
  /* This thread's rows: the scores of each head of the group, then the visible slots' indices. */
  float *scores = j->scores + (size_t)thread * (G + 1) * j->chunkLen;
  int32_t *slots = (int32_t *)(scores + (size_t)G * j->chunkLen);
  int n = 0;
  for (int s = s0; s < s1; s++) {
    int kp = j->slotPos[s];
    if (kp < 0 || kp > qp) continue;
    if (j->window > 0 && qp - kp >= j->window) continue;
    const void *krow = j->k + (size_t)s * j->slotBytes + (size_t)kvh * d * j->elem;
    for (int h = 0; h < G; h++) {
      const float *qh = j->q + (size_t)t * j->nH * d + (size_t)(kvh * G + h) * d;
      float sc = dot_qk(j->kvType, qh, krow, d) * j->scale;
      if (j->softcap > 0) sc = j->softcap * g4_tanhf(sc / j->softcap);
      scores[(size_t)h * j->chunkLen + n] = sc;
    }
    slots[n++] = s;
  }
  for (int h = 0; h < G; h++) {
    float *sh = scores + (size_t)h * j->chunkLen;
    float max = -3.0e38f;
    for (int i = 0; i < n; i++) max = sh[i] > max ? sh[i] : max;
    float sum = 0;
    for (int i = 0; i < n; i++) { sh[i] = g4_expf(sh[i] - max); sum += sh[i]; }
    const int head = kvh * G + h;
    float *acc;
    if (j->nChunks == 1) {
      acc = j->out + (size_t)t * j->nH * d + (size_t)head * d;
      for (int i = 0; i < d; i++) acc[i] = 0;
      const float inv = n ? 1.0f / sum : 0.0f;
      for (int i = 0; i < n; i++) axpy_v(j->kvType, sh[i] * inv, j->v + (size_t)slots[i] * j->slotBytes + (size_t)kvh * d * j->elem, acc, d);
    } else {
      float *part = j->partials + ((size_t)task * G + h) * (d + 2);
      part[0] = n ? max : -3.0e38f;
      part[1] = sum;
      acc = part + 2;
      for (int i = 0; i < d; i++) acc[i] = 0;
      for (int i = 0; i < n; i++) axpy_v(j->kvType, sh[i], j->v + (size_t)slots[i] * j->slotBytes + (size_t)kvh * d * j->elem, acc, d);
    }
  }
}

static void att_combine(const att_job *j) {
  const int G = j->group, d = j->d;
  for (int t = 0; t < j->T; t++)
    for (int kvh = 0; kvh < j->nKV; kvh++)
      for (int h = 0; h < G; h++) {
        float *o = j->out + (size_t)t * j->nH * d + (size_t)(kvh * G + h) * d;
        const size_t base = ((size_t)t * j->nKV + kvh) * j->nChunks;
        float max = -3.0e38f;
        for (int c = 0; c < j->nChunks; c++) {
          float m = j->partials[((base + c) * G + h) * (d + 2)];
          max = m > max ? m : max;
        }
        float sum = 0;
        for (int i = 0; i < d; i++) o[i] = 0;
        for (int c = 0; c < j->nChunks; c++) {
          const float *part = j->partials + ((base + c) * G + h) * (d + 2);
          if (part[1] == 0) continue;
          float f = g4_expf(part[0] - max);
          sum += part[1] * f;
          for (int i = 0; i < d; i++) o[i] += f * part[2 + i];
        }
        const float inv = sum > 0 ? 1.0f / sum : 0.0f;
        for (int i = 0; i < d; i++) o[i] *= inv;
      }
}

/* Splits slots into chunks only when query rows × KV heads leave threads idle. */
static void att_plan(int T, int used, int nKV, int *nChunks, int *chunkLen) {
  int threads = g4_num_threads();
  int rows = T * nKV;
  int c = 1;
  if (rows < 2 * threads) {
    c = (2 * threads + rows - 1) / rows;
    int maxByLen = used / 128 > 0 ? used / 128 : 1;
    if (c > maxByLen) c = maxByLen;
  }
  *nChunks = c;
  *chunkLen = (used + c - 1) / c;
  if (*chunkLen < 1) *chunkLen = 1;
}

static size_t G4K(attention_scratch)(int T, int used, int nH, int nKV, int d) {
  int nChunks, chunkLen;
  att_plan(T, used, nKV, &nChunks, &chunkLen);
  size_t perThread = (size_t)(nH / nKV + 1) * (size_t)chunkLen;
  size_t partials = nChunks > 1 ? (size_t)T * nChunks * nH * (size_t)(d + 2) : 0;
  return perThread * (size_t)g4_num_threads() + partials;
}

static void G4K(attention)(int kvType, const float *q, int T, const int32_t *qPos, const void *kCache, const void *vCache,
                           const int32_t *slotPos, int used, int nH, int nKV, int d, float scale, float softcap, int window,
                           float *out, float *scratch, size_t scratchFloats) {
  (void)scratchFloats;
  att_job j;
  j.kvType = kvType; j.T = T; j.used = used; j.nH = nH; j.nKV = nKV; j.d = d; j.window = window;
  j.group = nH / nKV;
  j.q = q; j.qPos = qPos; j.slotPos = slotPos;
  j.k = (const uint8_t *)kCache; j.v = (const uint8_t *)vCache;
  j.elem = kvType == G4_KV_F16 ? 2 : 4;
  j.slotBytes = (size_t)nKV * d * j.elem;
  j.scale = scale; j.softcap = softcap; j.out = out;
  att_plan(T, used, nKV, &j.nChunks, &j.chunkLen);
  j.scores = scratch;
  j.partials = scratch + (size_t)(j.group + 1) * j.chunkLen * (size_t)g4_num_threads();
  if (used == 0) {
    for (size_t i = 0; i < (size_t)T * nH * d; i++) out[i] = 0;
    return;
  }
  g4_parallel(T * nKV * j.nChunks, att_task, &j);
  if (j.nChunks > 1) att_combine(&j);
}

/* ---- writes into the store ---- */
static void G4K(kv_write)(int kvType, const float *k, const float *v, int T, int rowSize, const int32_t *slots, void *kCache, void *vCache) {
  for (int t = 0; t < T; t++) {
    const float *kr = k + (size_t)t * rowSize, *vr = v + (size_t)t * rowSize;
    size_t s = (size_t)slots[t];
    if (kvType == G4_KV_F16) {
      uint16_t *kd = (uint16_t *)kCache + s * rowSize, *vd = (uint16_t *)vCache + s * rowSize;
      int i = 0;
#ifdef G4_ATT_AVX512
      for (; i + 16 <= rowSize; i += 16) {
        _mm256_storeu_si256((__m256i *)(kd + i), _mm512_cvtps_ph(_mm512_loadu_ps(kr + i), _MM_FROUND_TO_NEAREST_INT));
        _mm256_storeu_si256((__m256i *)(vd + i), _mm512_cvtps_ph(_mm512_loadu_ps(vr + i), _MM_FROUND_TO_NEAREST_INT));
      }
#endif
      for (; i < rowSize; i++) { kd[i] = g4_f32_to_f16(kr[i]); vd[i] = g4_f32_to_f16(vr[i]); }
    } else {
      float *kd = (float *)kCache + s * rowSize, *vd = (float *)vCache + s * rowSize;
      for (int i = 0; i < rowSize; i++) { kd[i] = kr[i]; vd[i] = vr[i]; }
    }
  }
}
