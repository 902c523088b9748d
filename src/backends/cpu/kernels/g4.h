/*
 * gemma4 CPU kernels: one C source for the native Node addon (x86-64 AVX-512 / AVX2, other CPUs through
 * portable C) and for WebAssembly (SIMD128 + threads). The ISA-specific translation units (g4-matmul.c,
 * g4-layout.c, g4-attention.c, g4-elementwise.c) are compiled once per target with G4_SUFFIX naming their
 * symbols; g4-dispatch.c picks one table of them at start-up (cpuid) and exposes every op through one
 * entry point, g4_call(op, args), whose arguments are doubles (addresses, sizes and scalars all fit).
 *
 * Memory: activations are float32 row-major; weights stay in their stored bytes. Quantized weights are
 * rearranged in place at upload (same size) into the "lane layout" below, so that one 64-byte vector holds
 * 4 bytes of each of 16 blocks and an int8 dot-product instruction yields 16 block sums at once.
 */
#ifndef G4_H
#define G4_H

#include <stddef.h>
#include <stdint.h>

#ifndef G4_SUFFIX
#define G4_SUFFIX _generic
#endif
#define G4_CAT2(a, b) a##b
#define G4_CAT(a, b) G4_CAT2(a, b)
/* A symbol of the ISA-specific translation units. */
#define G4K(name) G4_CAT(name, G4_SUFFIX)

#if defined(__wasm__)
#define G4_WASM 1
#endif

/* ---- weight types (numbering shared with src/backends/cpu/kernel-abi.ts) ---- */
enum g4_type {
  G4_F32 = 0, G4_F16 = 1, G4_BF16 = 2,
  G4_Q8_0 = 3, G4_Q4_0 = 4, G4_Q4_1 = 5, G4_Q5_0 = 6, G4_Q5_1 = 7,
  G4_Q4_K = 8, G4_Q6_K = 9,
  G4_NUM_TYPES = 10,
};

/* ---- ops (numbering shared with kernel-abi.ts; arguments listed in g4-dispatch.c) ---- */
enum g4_op {
  G4_OP_INFO = 0, G4_OP_SET_THREADS = 1, G4_OP_REPACK = 2, G4_OP_MATMUL = 3, G4_OP_EMBED = 4,
  G4_OP_RMSNORM = 5, G4_OP_ROPE = 6, G4_OP_GATED_ACT = 7, G4_OP_BINARY = 8, G4_OP_UNARY = 9,
  G4_OP_KV_WRITE = 10, G4_OP_ATTENTION = 11, G4_OP_MATMUL_SCRATCH = 12, G4_OP_ATTENTION_SCRATCH = 13,
  G4_OP_DEQUANT_ROWS = 14, G4_OP_QUANTIZE_X = 15, G4_OP_MATMUL_QX = 16, G4_OP_TOP_LOGITS = 17,
  G4_NUM_OPS = 18,
};

enum g4_binary { G4_ADD = 0, G4_MUL = 1 };
enum g4_unary { G4_SCALE = 0, G4_SOFTCAP = 1 };
enum g4_act { G4_GELU_TANH = 0, G4_GELU_EXACT = 1 };
enum g4_kv { G4_KV_F32 = 0, G4_KV_F16 = 1 };

/* ---- lane layout of quantized rows ----
 * A row of K values is nb = K/32 blocks of 32. Blocks go in groups of 16 (the last group holds the
 * remaining g = nb mod 16 blocks, if any). Inside a group of g blocks, "chunk" c (c = 0..7) is 4g bytes:
 * bytes 4c..4c+3 of block 0, then of block 1, ... For 4-bit formats a chunk pair (c, c+4) shares one 4g-byte
 * vector: chunk c in the low nibbles, chunk c+4 in the high nibbles (this is ggml's own Q4_0 nibble order).
 * Scales and other per-block data follow all groups of the row, in block order, as in the file.
 *
 * Activations for quantized products ("qx rows") use the same groups: per group 8 chunks of int8 values
 * (32g bytes), then g float scales, then g int32 sums of chunks 0..3 and g int32 sums of chunks 4..7.
 */
#define G4_QX_GROUP_BYTES(g) (44 * (g))
static inline size_t g4_qx_row_bytes(int K) {
  size_t b = (size_t)44 * (size_t)(K / 32);
  return (b + 63) & ~(size_t)63;
}

/* ---- thread pool (g4-threads.c) ---- */
typedef void (*g4_task_fn)(void *ctx, int task, int thread);
void g4_parallel(int ntasks, g4_task_fn fn, void *ctx);
int g4_num_threads(void);
void g4_set_threads(int n);
#ifdef G4_WASM
void g4_worker_main(int id);
#endif

/* ---- small shared helpers ---- */
static inline float g4_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  union { uint32_t u; float f; } v;
  if (exp == 0) {
    v.f = (float)mant * 5.9604644775390625e-08f; /* 2^-24 */
    v.u |= sign;
    return v.f;
  }
  if (exp == 31) { v.u = sign | 0x7f800000u | (mant << 13); return v.f; }
  v.u = sign | ((exp + 112) << 23) | (mant << 13);
  return v.f;
}

/* float -> f16 bits, round to nearest even (as torch, numpy and ggml's reference). */
static inline uint16_t g4_f32_to_f16(float f) {
  union { float f; uint32_t u; } v = { f };
  uint32_t x = v.u, sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000;
    int shift = 14 - e;
    uint32_t half = 1u << (shift - 1), rest = mant & ((1u << shift) - 1), r = mant >> shift;
    if (rest > half || (rest == half && (r & 1))) r++;
    return (uint16_t)(sign | r);
  }
  uint32_t r = ((uint32_t)e << 10) | (mant >> 13), rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (r & 1))) r++;
  return (uint16_t)(sign | r);
}

static inline float g4_bf16_to_f32(uint16_t h) {
  union { uint32_t u; float f; } v = { (uint32_t)h << 16 };
  return v.f;
}

/* ---- the per-ISA kernel table ---- */
typedef struct g4_kernels {
  const char *isa;
  /* In-place rearrangement of `rows` rows of K values of `type` into the lane layout (scratch: one row). */
  void (*repack)(int type, uint8_t *data, int rows, int K, uint8_t *scratch);
  /* Rows [row0, row0+count) of a weight → float32 [count, K] (scale applied). */
  void (*dequant_rows)(int type, const uint8_t *w, int K, int row0, int count, float *out, float scale);
  /* x [T, K] → qx rows (see above). */
  void (*quantize_x)(const float *x, int T, int K, uint8_t *qx);
  /* out[T, N] = x[T, K] · w[row0 .. row0+N)ᵀ; `qx` is scratch of T·g4_qx_row_bytes(K) (quantized types). */
  void (*matmul)(int type, const float *x, int T, int K, const uint8_t *w, int row0, int N, float *out, int outStride, uint8_t *qx, int qxReady);
  void (*rmsnorm)(const float *x, const float *scale, int form, float eps, int dim, int groups, float *out);
  void (*rope)(const float *x, int T, int cols, int headDim, const float *cosT, const float *sinT, float *out);
  void (*gated_act)(const float *gate, const float *up, size_t n, int act, float *out);
  void (*binary)(int op, const float *a, const float *b, size_t n, float *out);
  void (*unary)(int op, const float *a, size_t n, float s, float *out);
  void (*kv_write)(int kvType, const float *k, const float *v, int T, int rowSize, const int32_t *slots, void *kCache, void *vCache);
  void (*attention)(int kvType, const float *q, int T, const int32_t *qPos, const void *kCache, const void *vCache,
                    const int32_t *slotPos, int used, int nH, int nKV, int d, float scale, float softcap, int window,
                    float *out, float *scratch, size_t scratchFloats);
  /* Floats of scratch `attention` needs (depends on the thread count). */
  size_t (*attention_scratch)(int T, int used, int nH, int nKV, int d);
  /* The k largest of x[n] into ids/values (largest first, ties by lower index); returns Σ exp(x − max). */
  double (*top_logits)(const float *x, int n, int k, int32_t *ids, float *values, uint8_t *scratch, size_t scratchBytes);
} g4_kernels;


extern const g4_kernels G4K(g4_kernels);

#endif
