/*
 * Reference vectors for gemma4's block formats, made by ggml's own reference code.
 *
 * Compiled against ggml-quants.c from the llama.cpp source that node-llama-cpp bundles (see README.md next to
 * the output in test/fixtures/quant/). For every case it writes one JSON line per type: the float32 input,
 * ggml's quantized bytes (quantize_row_*_ref, the functions llama-quantize uses when no imatrix is given) and
 * ggml's dequantization of those bytes (dequantize_row_*). "random-bytes" cases feed arbitrary block bit patterns
 * (with finite scales) to the dequantizer only. All buffers are base64 of little-endian bytes.
 */
#define GGML_COMMON_DECL_C
#include "ggml-common.h"
#include "ggml-quants.h"
#include "ggml-impl.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ggml-quants.c references these from ggml.c; the reference row functions used here never call them. */
void ggml_abort(const char * file, int line, const char * fmt, ...) { fprintf(stderr, "abort %s:%d %s\n", file, line, fmt); exit(1); }
size_t ggml_row_size(enum ggml_type type, int64_t ne) { (void) type; (void) ne; abort(); }
const char * ggml_type_name(enum ggml_type type) { (void) type; abort(); }
size_t ggml_type_size(enum ggml_type type) { (void) type; abort(); }

#define N 512

static uint64_t rng_state;
static uint64_t next_u64(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static float uniform(void) { return (float) ((next_u64() >> 40) * (1.0 / 16777216.0)); } /* [0, 1) */
static float gauss(void) { float s = 0; for (int i = 0; i < 12; i++) s += uniform(); return s - 6.0f; }

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static void put_b64(const void * data, size_t n) {
    const uint8_t * p = data;
    putchar('"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t) p[i] << 16 | (i + 1 < n ? (uint32_t) p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        putchar(B64[v >> 18 & 63]); putchar(B64[v >> 12 & 63]);
        putchar(i + 1 < n ? B64[v >> 6 & 63] : '='); putchar(i + 2 < n ? B64[v & 63] : '=');
    }
    putchar('"');
}

typedef void (*quantize_fn)(const float *, void *, int64_t);
typedef void (*dequantize_fn)(const void *, float *, int64_t);

static void q_f16(const float * x, void * y, int64_t n) { for (int64_t i = 0; i < n; i++) ((ggml_fp16_t *) y)[i] = GGML_FP32_TO_FP16(x[i]); }
static void d_f16(const void * x, float * y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = GGML_FP16_TO_FP32(((const ggml_fp16_t *) x)[i]); }
static void q_bf16(const float * x, void * y, int64_t n) { for (int64_t i = 0; i < n; i++) ((ggml_bf16_t *) y)[i] = GGML_FP32_TO_BF16(x[i]); }
static void d_bf16(const void * x, float * y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = GGML_BF16_TO_FP32(((const ggml_bf16_t *) x)[i]); }

struct type_entry {
    const char * name;
    int block_elems;
    size_t block_bytes;
    quantize_fn quantize;
    dequantize_fn dequantize;
    int scale_offsets[2]; /* byte offsets of f16 scale fields inside a block, -1 = none (for random-bytes) */
};

#define Q(fn) ((quantize_fn) (fn))
#define D(fn) ((dequantize_fn) (fn))
static const struct type_entry TYPES[] = {
    { "F16",  1,     2,                  q_f16, d_f16, { -1, -1 } },
    { "BF16", 1,     2,                  q_bf16, d_bf16, { -1, -1 } },
    { "Q8_0", QK8_0, sizeof(block_q8_0), Q(quantize_row_q8_0_ref), D(dequantize_row_q8_0), { 0, -1 } },
    { "Q4_0", QK4_0, sizeof(block_q4_0), Q(quantize_row_q4_0_ref), D(dequantize_row_q4_0), { 0, -1 } },
    { "Q4_1", QK4_1, sizeof(block_q4_1), Q(quantize_row_q4_1_ref), D(dequantize_row_q4_1), { 0, 2 } },
    { "Q5_0", QK5_0, sizeof(block_q5_0), Q(quantize_row_q5_0_ref), D(dequantize_row_q5_0), { 0, -1 } },
    { "Q5_1", QK5_1, sizeof(block_q5_1), Q(quantize_row_q5_1_ref), D(dequantize_row_q5_1), { 0, 2 } },
    { "Q4_K", QK_K,  sizeof(block_q4_K), Q(quantize_row_q4_K_ref), D(dequantize_row_q4_K), { 0, 2 } },
    { "Q5_K", QK_K,  sizeof(block_q5_K), Q(quantize_row_q5_K_ref), D(dequantize_row_q5_K), { 0, 2 } },
    { "Q6_K", QK_K,  sizeof(block_q6_K), Q(quantize_row_q6_K_ref), D(dequantize_row_q6_K), { 208, -1 } },
    { "Q8_K", QK_K,  sizeof(block_q8_K), Q(quantize_row_q8_K_ref), D(dequantize_row_q8_K), { -1, -1 } },
};
#define NUM_TYPES (sizeof(TYPES) / sizeof(TYPES[0]))

static void make_case(const char * name, float * x) {
    for (int i = 0; i < N; i++) {
        float v;
        if (!strcmp(name, "gauss")) v = gauss();
        else if (!strcmp(name, "uniform")) v = uniform() * 2 - 1;
        else if (!strcmp(name, "zeros")) v = 0;
        else if (!strcmp(name, "constant")) v = 0.3125f;
        else if (!strcmp(name, "negative")) v = -fabsf(gauss()) - 0.01f;
        else if (!strcmp(name, "positive")) v = fabsf(gauss()) * 3 + 0.5f;
        else if (!strcmp(name, "huge")) v = gauss() * 1000.0f;
        else if (!strcmp(name, "tiny")) v = gauss() * 1e-6f;
        else if (!strcmp(name, "outliers")) v = (next_u64() % 37 == 0) ? gauss() * 50 : gauss() * 0.02f;
        else if (!strcmp(name, "sparse")) v = (next_u64() % 9 == 0) ? gauss() : 0.0f;
        else if (!strcmp(name, "ramp")) v = (i - N / 2) / 64.0f;
        else if (!strcmp(name, "ties")) v = (float) ((int) (next_u64() % 33) - 16) * 0.25f; /* many exact halves */
        else if (!strcmp(name, "half-blocks")) v = ((i / 16) % 2) ? gauss() : 0.0f; /* zero sub-blocks in K-quants */
        else { fprintf(stderr, "unknown case %s\n", name); exit(1); }
        x[i] = v;
    }
}

static const char * CASES[] = {
    "gauss", "uniform", "zeros", "constant", "negative", "positive", "huge", "tiny", "outliers", "sparse", "ramp", "ties", "half-blocks",
};

int main(void) {
    float x[N], y[N];
    static uint8_t q[N * 8];
    printf("{\"kind\":\"block-sizes\"");
    for (size_t t = 0; t < NUM_TYPES; t++) printf(",\"%s\":[%d,%zu]", TYPES[t].name, TYPES[t].block_elems, TYPES[t].block_bytes);
    printf("}\n");
    for (size_t c = 0; c < sizeof(CASES) / sizeof(CASES[0]); c++) {
        rng_state = 0x5EED0000ull + c;
        make_case(CASES[c], x);
        printf("{\"kind\":\"input\",\"case\":\"%s\",\"f32\":", CASES[c]);
        put_b64(x, sizeof(x));
        printf("}\n");
        for (size_t t = 0; t < NUM_TYPES; t++) {
            const struct type_entry * e = &TYPES[t];
            const size_t bytes = N / e->block_elems * e->block_bytes;
            memset(q, 0xAB, sizeof(q));
            e->quantize(x, q, N);
            e->dequantize(q, y, N);
            printf("{\"kind\":\"quantize\",\"case\":\"%s\",\"type\":\"%s\",\"quantized\":", CASES[c], e->name);
            put_b64(q, bytes);
            printf(",\"dequantized\":");
            put_b64(y, sizeof(y));
            printf("}\n");
        }
    }
    /* Arbitrary block contents through the dequantizer (scale fields set to random finite halves). */
    for (size_t t = 0; t < NUM_TYPES; t++) {
        const struct type_entry * e = &TYPES[t];
        const size_t bytes = N / e->block_elems * e->block_bytes;
        rng_state = 0xB17E5000ull + t;
        for (size_t i = 0; i < bytes; i++) q[i] = (uint8_t) next_u64();
        for (size_t b = 0; b < bytes / e->block_bytes && e->block_elems > 1; b++) {
            for (int s = 0; s < 2; s++) {
                if (e->scale_offsets[s] < 0) continue;
                ggml_fp16_t h = GGML_FP32_TO_FP16(gauss() * 0.01f);
                memcpy(q + b * e->block_bytes + e->scale_offsets[s], &h, 2);
            }
            if (!strcmp(e->name, "Q8_K")) { float d = gauss() * 0.01f; memcpy(q + b * e->block_bytes, &d, 4); }
        }
        if (e->block_elems == 1) { /* F16/BF16: every pattern except NaN and Inf */
            for (size_t i = 0; i + 1 < bytes; i += 2) { q[i + 1] &= (!strcmp(e->name, "F16")) ? 0xBB : 0xBF; }
        }
        e->dequantize(q, y, N);
        printf("{\"kind\":\"dequantize\",\"case\":\"random-bytes\",\"type\":\"%s\",\"quantized\":", e->name);
        put_b64(q, bytes);
        printf(",\"dequantized\":");
        put_b64(y, sizeof(y));
        printf("}\n");
    }
    return 0;
}
