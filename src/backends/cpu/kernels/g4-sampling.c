/*
 * The k largest logits of a row, and Σ exp(x − max): what the engine's samplers choose from (one pass in
 * threads instead of JavaScript passes over a 262,144-token vocabulary per token). Compiled per instruction
 * set with the other kernels (g4-isa.c): the exp sum vectorizes.
 *
 * Each task takes a slice of the row: its maximum, Σ exp(x − its maximum), and its k best in a min-heap
 * ordered worst first (smaller value, or equal value and larger index). Scanning in index order, an equal
 * value never displaces an entry (its index is larger), so ties keep the lower indices. The first slice's
 * heap then takes the others' entries and gives them up worst first (heapsort) into the outputs.
 */
#include "g4.h"
#include "g4-math.h"

typedef struct { float v; int32_t i; } topk_entry;

static inline int topk_worse(topk_entry a, topk_entry b) { return a.v < b.v || (a.v == b.v && a.i > b.i); }

/* Sifts `e` down from the root of a heap of `count` entries (the root's old entry is dropped). */
static void topk_sift_down(topk_entry *heap, int count, topk_entry e) {
  int c = 0;
  for (;;) {
    int l = 2 * c + 1, r = l + 1, w = c;
    topk_entry we = e;
    if (l < count && topk_worse(heap[l], we)) { w = l; we = heap[l]; }
    if (r < count && topk_worse(heap[r], we)) w = r;
    if (w == c) break;
    heap[c] = heap[w];
    c = w;
  }
  heap[c] = e;
}

/* Keeps the k best entries offered so far in `heap` (worst at the root). */
static inline void topk_offer(topk_entry *heap, int *count, int k, topk_entry e) {
  if (*count < k) {
    int c = (*count)++;
    while (c > 0) {
      int parent = (c - 1) / 2;
      if (!topk_worse(e, heap[parent])) break;
      heap[c] = heap[parent];
      c = parent;
    }
    heap[c] = e;
  } else if (topk_worse(heap[0], e)) {
    topk_sift_down(heap, *count, e);
  }
}

typedef struct {
  const float *x;
  int n, k, tasks;
  topk_entry *heaps; /* tasks × k */
  int *counts;       /* entries in each heap */
  float *maxes;
  double *sums;
} topk_job;

static void topk_task(void *ctx, int task, int thread) {
  (void)thread;
  topk_job *j = ctx;
  int per = (j->n + j->tasks - 1) / j->tasks;
  int begin = task * per, end = begin + per < j->n ? begin + per : j->n;
  topk_entry *heap = j->heaps + (size_t)task * j->k;
  int count = 0;
  float m = -__builtin_inff();
  for (int i = begin; i < end; i++) {
    float v = j->x[i];
    if (v > m) m = v;
    /* Most values lose to a full heap's worst: test that before building an entry. */
    if (count == j->k && v < heap[0].v) continue;
    topk_entry e = { v, i };
    topk_offer(heap, &count, j->k, e);
  }
  /* Σ exp(x − m): 8 float lanes (vectorized) over blocks of 256, each block's total added in double. */
  double sum = 0;
  if (m > -__builtin_inff()) {
    for (int b = begin; b < end; b += 256) {
      int stop = b + 256 < end ? b + 256 : end;
      float lanes[8] = { 0 };
      int i = b;
      for (; i + 8 <= stop; i += 8)
        for (int l = 0; l < 8; l++) lanes[l] += g4_expf(j->x[i + l] - m);
      float block = 0;
      for (; i < stop; i++) block += g4_expf(j->x[i] - m);
      for (int l = 0; l < 8; l++) block += lanes[l];
      sum += block;
    }
  }
  j->counts[task] = count;
  j->maxes[task] = m;
  j->sums[task] = sum;
}

/* Scratch bytes top_logits needs for `tasks` tasks and k. */
static size_t topk_scratch(int tasks, int k) {
  return (size_t)tasks * k * sizeof(topk_entry) + (size_t)tasks * (sizeof(int) + sizeof(float) + sizeof(double)) + 64;
}

/* x[n] → ids[k], values[k] (largest first, ties by lower index); returns Σ exp(x − max) with max = values[0]. */
static double G4K(top_logits)(const float *x, int n, int k, int32_t *ids, float *values, uint8_t *scratch, size_t scratchBytes) {
  int tasks = g4_num_threads();
  if (tasks > (n + 4095) / 4096) tasks = (n + 4095) / 4096;
  while (tasks > 1 && topk_scratch(tasks, k) > scratchBytes) tasks--;
  if (tasks < 1) tasks = 1;
  topk_job j = { x, n, k, tasks, 0, 0, 0, 0 };
  uintptr_t p = ((uintptr_t)scratch + 7) & ~(uintptr_t)7;
  j.sums = (double *)p; p += (size_t)tasks * sizeof(double);
  j.heaps = (topk_entry *)p; p += (size_t)tasks * k * sizeof(topk_entry);
  j.maxes = (float *)p; p += (size_t)tasks * sizeof(float);
  j.counts = (int *)p;
  g4_parallel(tasks, topk_task, &j);
  /* Merge: task 0's heap takes every other task's entries, then gives them up worst first (heapsort). */
  int count = j.counts[0];
  for (int t = 1; t < tasks; t++)
    for (int c = 0; c < j.counts[t]; c++) topk_offer(j.heaps, &count, k, j.heaps[(size_t)t * k + c]);
  for (int c = count - 1; c >= 0; c--) {
    topk_entry worst = j.heaps[0];
    ids[c] = worst.i;
    values[c] = worst.v;
    if (c > 0) topk_sift_down(j.heaps, c, j.heaps[c]);
  }
  float m = -__builtin_inff();
  for (int t = 0; t < tasks; t++) if (j.maxes[t] > m) m = j.maxes[t];
  double sum = 0;
  for (int t = 0; t < tasks; t++) if (j.maxes[t] > -__builtin_inff()) sum += j.sums[t] * g4_expf(j.maxes[t] - m);
  return sum;
}
