/*
 * The thread pool: the calling thread posts a job of `ntasks` independent tasks, every thread (the caller
 * included) claims task indices until none are left, and the caller returns once all of them completed.
 *
 * Claims go through one 64-bit word, (job generation << 32) | next task, updated by compare-and-swap, so a
 * worker that wakes late can never run a task of a job that has already finished. Idle workers spin for a
 * short while (the next op usually follows within microseconds during a forward pass), then sleep on a
 * futex (Linux), a condition variable (other systems), or memory.atomic.wait32 (WebAssembly): a pool that
 * has no work uses no CPU.
 */
#include "g4.h"

#include <stdatomic.h>

#define G4_MAX_THREADS 64
/* Spin iterations before a worker sleeps: ~50-100 µs, longer than the gap between two ops of one step. */
#define G4_SPIN 20000

typedef struct {
  g4_task_fn fn;
  void *ctx;
  int ntasks;
} g4_job;

static _Atomic uint64_t g_state;      /* (generation << 32) | next task index */
static _Atomic uint32_t g_generation; /* the futex word workers sleep on */
static _Atomic int g_done;            /* tasks completed in the current job */
static _Atomic int g_sleepers;
static g4_job g_jobs[2];              /* job of generation n lives in g_jobs[n & 1] */
static int g_threads = 1;             /* threads that take part, the caller included */
static int g_started = 1;             /* threads that exist, the caller included */

static inline void g4_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* ---- sleeping and waking ---- */
#if defined(G4_WASM)
static void wait_on(_Atomic uint32_t *addr, uint32_t expected) {
  __builtin_wasm_memory_atomic_wait32((int *)addr, (int)expected, -1);
}
static void wake_all(_Atomic uint32_t *addr) {
  __builtin_wasm_memory_atomic_notify((int *)addr, 0xffffffffu);
}
#elif defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
static void wait_on(_Atomic uint32_t *addr, uint32_t expected) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}
static void wake_all(_Atomic uint32_t *addr) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}
#else
#include <pthread.h>
static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static void wait_on(_Atomic uint32_t *addr, uint32_t expected) {
  pthread_mutex_lock(&g_mutex);
  while (atomic_load(addr) == expected) pthread_cond_wait(&g_cond, &g_mutex);
  pthread_mutex_unlock(&g_mutex);
}
static void wake_all(_Atomic uint32_t *addr) {
  (void)addr;
  pthread_mutex_lock(&g_mutex);
  pthread_cond_broadcast(&g_cond);
  pthread_mutex_unlock(&g_mutex);
}
#endif

/* Claims and runs tasks of generation `gen` until none are left. */
static void run_tasks(uint32_t gen, int thread) {
  for (;;) {
    uint64_t s = atomic_load_explicit(&g_state, memory_order_acquire);
    if ((uint32_t)(s >> 32) != gen) return;
    const g4_job *job = &g_jobs[gen & 1];
    uint32_t task = (uint32_t)s;
    if ((int)task >= job->ntasks) return;
    if (!atomic_compare_exchange_weak_explicit(&g_state, &s, s + 1, memory_order_acq_rel, memory_order_relaxed)) continue;
    job->fn(job->ctx, (int)task, thread);
    atomic_fetch_add_explicit(&g_done, 1, memory_order_release);
  }
}

static void worker_loop(int id) {
  uint32_t seen = atomic_load(&g_generation);
  for (;;) {
    uint32_t gen;
    int spins = 0;
    /* Threads beyond the current count go straight to sleep. */
    const int spin_limit = id < g_threads ? G4_SPIN : 0;
    while ((gen = atomic_load_explicit(&g_generation, memory_order_acquire)) == seen) {
      if (++spins < spin_limit) { g4_pause(); continue; }
      atomic_fetch_add(&g_sleepers, 1);
      if (atomic_load(&g_generation) == seen) wait_on(&g_generation, seen);
      atomic_fetch_sub(&g_sleepers, 1);
      spins = 0;
    }
    seen = gen;
    if (id < g_threads) run_tasks(gen, id);
  }
}

void g4_parallel(int ntasks, g4_task_fn fn, void *ctx) {
  if (ntasks <= 0) return;
  if (g_threads <= 1 || ntasks == 1) {
    for (int i = 0; i < ntasks; i++) fn(ctx, i, 0);
    return;
  }
  uint32_t gen = atomic_load(&g_generation) + 1;
  g4_job *job = &g_jobs[gen & 1];
  job->fn = fn;
  job->ctx = ctx;
  job->ntasks = ntasks;
  atomic_store_explicit(&g_done, 0, memory_order_relaxed);
  atomic_store_explicit(&g_state, (uint64_t)gen << 32, memory_order_release);
  atomic_store_explicit(&g_generation, gen, memory_order_release);
  if (atomic_load(&g_sleepers) > 0) wake_all(&g_generation);
  run_tasks(gen, 0);
  while (atomic_load_explicit(&g_done, memory_order_acquire) < ntasks) g4_pause();
}

int g4_num_threads(void) {
  return g_threads;
}

#if defined(G4_WASM)
/* Workers are JS Web Workers that call this with ids 1..n-1 and never return. */
void g4_worker_main(int id) {
  worker_loop(id);
}

void g4_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > G4_MAX_THREADS) n = G4_MAX_THREADS;
  g_threads = n;
  g_started = n;
}
#else
#include <pthread.h>

static void *thread_main(void *arg) {
  worker_loop((int)(intptr_t)arg);
  return NULL;
}

/* Starts threads up to n (the pool never shrinks; threads beyond n just stay asleep). */
void g4_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > G4_MAX_THREADS) n = G4_MAX_THREADS;
  while (g_started < n) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, thread_main, (void *)(intptr_t)g_started) != 0) { pthread_attr_destroy(&attr); break; }
    pthread_attr_destroy(&attr);
    g_started++;
  }
  g_threads = n < g_started ? n : g_started;
}
#endif
