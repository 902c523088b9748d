/*
 * The single entry point: g4_call(op, args) with every argument a double (addresses, sizes, scalars), and
 * results written back into args[0..]. The table of kernels is chosen once from what the CPU supports;
 * G4_OP_INFO with args[0] >= 0 forces one (tests run every variant the machine can execute).
 */
#include "g4.h"

extern const g4_kernels g4_kernels_generic;
#ifdef G4_HAVE_AVX2
extern const g4_kernels g4_kernels_avx2;
#endif
#ifdef G4_HAVE_AVX512
extern const g4_kernels g4_kernels_avx512;
#endif

/* Variants in order of preference; `supported` says whether this CPU can run each. */
static const g4_kernels *variants[4];
static int supported[4];
static int nvariants = 0;
static const g4_kernels *K = 0;

static void init(void) {
  if (K) return;
#ifdef G4_HAVE_AVX512
  variants[nvariants] = &g4_kernels_avx512;
  __builtin_cpu_init();
  supported[nvariants++] = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                           __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
#endif
#ifdef G4_HAVE_AVX2
  variants[nvariants] = &g4_kernels_avx2;
  __builtin_cpu_init();
  supported[nvariants++] = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#endif
  variants[nvariants] = &g4_kernels_generic;
  supported[nvariants++] = 1;
  for (int i = 0; i < nvariants; i++)
    if (supported[i]) { K = variants[i]; break; }
}

static inline void *P(double a) { return (void *)(uintptr_t)a; }
static inline int I(double a) { return (int)a; }

/* Returns the name of variant `i` (or NULL), and whether this CPU runs it. */
const char *g4_variant(int i, int *ok) {
  init();
  if (i < 0 || i >= nvariants) return 0;
  *ok = supported[i];
  return variants[i]->isa;
}

const char *g4_isa(void) {
  init();
  return K->isa;
}

void g4_call(int op, double *a) {
  init();
  switch (op) {
    case G4_OP_INFO: {
      /* a[0]: variant to select (−1 keeps the current one). Out: a[0] index of the current variant,
       * a[1] threads, a[2] number of variants. */
      int want = I(a[0]);
      if (want >= 0 && want < nvariants && supported[want]) K = variants[want];
      int cur = 0;
      for (int i = 0; i < nvariants; i++) if (variants[i] == K) cur = i;
      a[0] = cur;
      a[1] = g4_num_threads();
      a[2] = nvariants;
      return;
    }
    case G4_OP_SET_THREADS: g4_set_threads(I(a[0])); a[0] = g4_num_threads(); return;
    case G4_OP_REPACK: K->repack(I(a[0]), P(a[1]), I(a[2]), I(a[3]), P(a[4])); return;
    case G4_OP_MATMUL:
      K->matmul(I(a[0]), P(a[1]), I(a[2]), I(a[3]), P(a[4]), I(a[5]), I(a[6]), P(a[7]), I(a[8]), P(a[9]), I(a[10]));
      return;
    case G4_OP_MATMUL_SCRATCH: a[0] = (double)((size_t)I(a[1]) * g4_qx_row_bytes(I(a[0]))); return;
    case G4_OP_QUANTIZE_X: K->quantize_x(P(a[0]), I(a[1]), I(a[2]), P(a[3])); return;
    case G4_OP_DEQUANT_ROWS: K->dequant_rows(I(a[0]), P(a[1]), I(a[2]), I(a[3]), I(a[4]), P(a[5]), (float)a[6]); return;
    case G4_OP_EMBED: {
      /* type, w, K, ids, count, scale, out */
      const int32_t *ids = P(a[3]);
      float *out = P(a[6]);
      int Kd = I(a[2]);
      for (int i = 0; i < I(a[4]); i++) K->dequant_rows(I(a[0]), P(a[1]), Kd, ids[i], 1, out + (size_t)i * Kd, (float)a[5]);
      return;
    }
    case G4_OP_RMSNORM: K->rmsnorm(P(a[0]), P(a[1]), I(a[2]), (float)a[3], I(a[4]), I(a[5]), P(a[6])); return;
    case G4_OP_ROPE: K->rope(P(a[0]), I(a[1]), I(a[2]), I(a[3]), P(a[4]), P(a[5]), P(a[6])); return;
    case G4_OP_GATED_ACT: K->gated_act(P(a[0]), P(a[1]), (size_t)a[2], I(a[3]), P(a[4])); return;
    case G4_OP_BINARY: K->binary(I(a[0]), P(a[1]), P(a[2]), (size_t)a[3], P(a[4])); return;
    case G4_OP_UNARY: K->unary(I(a[0]), P(a[1]), (size_t)a[2], (float)a[3], P(a[4])); return;
    case G4_OP_KV_WRITE: K->kv_write(I(a[0]), P(a[1]), P(a[2]), I(a[3]), I(a[4]), P(a[5]), P(a[6]), P(a[7])); return;
    case G4_OP_ATTENTION_SCRATCH: a[0] = (double)K->attention_scratch(I(a[0]), I(a[1]), I(a[2]), I(a[3]), I(a[4])); return;
    case G4_OP_ATTENTION:
      K->attention(I(a[0]), P(a[1]), I(a[2]), P(a[3]), P(a[4]), P(a[5]), P(a[6]), I(a[7]), I(a[8]), I(a[9]), I(a[10]),
                   (float)a[11], (float)a[12], I(a[13]), P(a[14]), P(a[15]), (size_t)a[16]);
      return;
    case G4_OP_TOP_LOGITS:
      /* x, n, k, ids, values, scratch, scratch bytes → a[0] = Σ exp(x − values[0]) */
      a[0] = K->top_logits(P(a[0]), I(a[1]), I(a[2]), P(a[3]), P(a[4]), P(a[5]), (size_t)a[6]);
      return;
    default: return;
  }
}
