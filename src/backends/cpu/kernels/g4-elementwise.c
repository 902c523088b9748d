/*
 * Row-wise and elementwise ops: RMSNorm, RoPE (angles' cos/sin come from the caller, computed in double as
 * the reference does), gated GELU, add/mul, scale, softcap. Large inputs are split over the thread pool;
 * small ones (a decode step's 1 × H rows) run on the calling thread, where waking workers would cost more.
 */
#include "g4.h"
#include "g4-math.h"

#define PAR_MIN 32768 /* elements below which an op stays on one thread */

typedef struct {
  int op;
  const float *a, *b;
  float *out;
  float s;
  size_t n, per;
} ew_job;

static void ew_range(const ew_job *j, size_t i0, size_t i1);

static void ew_task(void *ctx, int task, int thread) {
  (void)thread;
  const ew_job *j = (const ew_job *)ctx;
  size_t i0 = (size_t)task * j->per, i1 = i0 + j->per < j->n ? i0 + j->per : j->n;
  ew_range(j, i0, i1);
}

/* op: 0 add, 1 mul, 2 scale, 3 softcap, 4 gelu_tanh gate, 5 gelu_exact gate */
static void ew_range(const ew_job *j, size_t i0, size_t i1) {
  const float *a = j->a, *b = j->b;
  float *o = j->out;
  const float s = j->s;
  switch (j->op) {
    case 0: for (size_t i = i0; i < i1; i++) o[i] = a[i] + b[i]; break;
    case 1: for (size_t i = i0; i < i1; i++) o[i] = a[i] * b[i]; break;
    case 2: for (size_t i = i0; i < i1; i++) o[i] = a[i] * s; break;
    case 3: { const float inv = 1.0f / s; for (size_t i = i0; i < i1; i++) o[i] = s * g4_tanhf(a[i] * inv); break; }
    case 4: for (size_t i = i0; i < i1; i++) o[i] = g4_gelu_tanh(a[i]) * b[i]; break;
    default: for (size_t i = i0; i < i1; i++) o[i] = g4_gelu_exact(a[i]) * b[i]; break;
  }
}

static void ew_run(int op, const float *a, const float *b, size_t n, float s, float *out) {
  ew_job j = { op, a, b, out, s, n, n };
  int threads = g4_num_threads();
  if (n < PAR_MIN || threads <= 1) { ew_range(&j, 0, n); return; }
  size_t tasks = (size_t)threads * 4;
  j.per = (n + tasks - 1) / tasks;
  j.per = (j.per + 15) & ~(size_t)15;
  g4_parallel((int)((n + j.per - 1) / j.per), ew_task, &j);
}

static void G4K(binary)(int op, const float *a, const float *b, size_t n, float *out) { ew_run(op == G4_MUL ? 1 : 0, a, b, n, 0, out); }
static void G4K(unary)(int op, const float *a, size_t n, float s, float *out) { ew_run(op == G4_SOFTCAP ? 3 : 2, a, a, n, s, out); }
static void G4K(gated_act)(const float *gate, const float *up, size_t n, int act, float *out) { ew_run(act == G4_GELU_EXACT ? 5 : 4, gate, up, n, 0, out); }

/* ---- RMSNorm over groups of `dim` values ---- */
typedef struct {
  const float *x, *scale;
  float *out;
  float eps;
  int dim, per, groups;
} rms_job;

static void rms_range(const rms_job *j, int g0, int g1) {
  const int dim = j->dim;
  for (int g = g0; g < g1; g++) {
    const float *x = j->x + (size_t)g * dim;
    float *o = j->out + (size_t)g * dim;
    float part[16] = {0};
    int i = 0;
    for (; i + 16 <= dim; i += 16)
      for (int k = 0; k < 16; k++) part[k] += x[i + k] * x[i + k];
    double sum = 0;
    for (int k = 0; k < 16; k++) sum += part[k];
    for (; i < dim; i++) sum += (double)x[i] * x[i];
    const float mean = (float)(sum / dim);
    const float inv = (float)(1.0 / __builtin_sqrt((double)(mean + j->eps)));
    if (j->scale) for (int k = 0; k < dim; k++) o[k] = (x[k] * inv) * j->scale[k];
    else for (int k = 0; k < dim; k++) o[k] = x[k] * inv;
  }
}

static void rms_task(void *ctx, int task, int thread) {
  (void)thread;
  const rms_job *j = (const rms_job *)ctx;
  int g0 = task * j->per, g1 = g0 + j->per < j->groups ? g0 + j->per : j->groups;
  rms_range(j, g0, g1);
}

static void G4K(rmsnorm)(const float *x, const float *scale, int form, float eps, int dim, int groups, float *out) {
  rms_job j = { x, form ? scale : 0, out, eps, dim, groups, groups };
  size_t n = (size_t)dim * groups;
  int threads = g4_num_threads();
  if (n < PAR_MIN || threads <= 1 || groups < 2) { rms_range(&j, 0, groups); return; }
  int tasks = threads * 4 < groups ? threads * 4 : groups;
  j.per = (groups + tasks - 1) / tasks;
  g4_parallel((groups + j.per - 1) / j.per, rms_task, &j);
}

/* ---- rotate-half RoPE: pair j with j + d/2 in each head; cos/sin are [T, d/2] ---- */
typedef struct {
  const float *x, *cosT, *sinT;
  float *out;
  int T, cols, d, per;
} rope_job;

static void rope_range(const rope_job *j, int t0, int t1) {
  const int half = j->d / 2, heads = j->cols / j->d;
  for (int t = t0; t < t1; t++) {
    const float *c = j->cosT + (size_t)t * half, *s = j->sinT + (size_t)t * half;
    for (int h = 0; h < heads; h++) {
      const float *x = j->x + (size_t)t * j->cols + (size_t)h * j->d;
      float *o = j->out + (size_t)t * j->cols + (size_t)h * j->d;
      for (int k = 0; k < half; k++) {
        float a = x[k], b = x[k + half];
        float ac = a * c[k], bs = b * s[k], bc = b * c[k], as = a * s[k];
        o[k] = ac - bs;
        o[k + half] = bc + as;
      }
    }
  }
}

static void rope_task(void *ctx, int task, int thread) {
  (void)thread;
  const rope_job *j = (const rope_job *)ctx;
  int t0 = task * j->per, t1 = t0 + j->per < j->T ? t0 + j->per : j->T;
  rope_range(j, t0, t1);
}

static void G4K(rope)(const float *x, int T, int cols, int headDim, const float *cosT, const float *sinT, float *out) {
  rope_job j = { x, cosT, sinT, out, T, cols, headDim, T };
  int threads = g4_num_threads();
  if ((size_t)T * cols < PAR_MIN || threads <= 1) { rope_range(&j, 0, T); return; }
  int tasks = threads * 4 < T ? threads * 4 : T;
  j.per = (T + tasks - 1) / tasks;
  g4_parallel((T + j.per - 1) / j.per, rope_task, &j);
}
