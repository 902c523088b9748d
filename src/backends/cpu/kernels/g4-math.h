/*
 * Float functions the kernels need, written so compilers vectorize loops over them and so the WebAssembly
 * build needs no libm: exp by range reduction (x = n·ln2 + r) and a degree-6 polynomial (max relative error
 * ~2 ulp on the range softmax and GELU use), tanh and erf built on it.
 */
#ifndef G4_MATH_H
#define G4_MATH_H

#include <stdint.h>

static inline float g4_expf(float x) {
  if (x < -87.3f) return 0.0f;
  if (x > 88.7f) x = 88.7f;
  const float n = __builtin_rintf(x * 1.44269504088896341f);
  /* r = x − n·ln2 in two steps (Cody–Waite) to keep r exact enough. */
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-06f;
  float p = 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union { uint32_t u; float f; } s;
  s.u = (uint32_t)((int32_t)n + 127) << 23;
  return p * s.f;
}

static inline float g4_tanhf(float x) {
  /* tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1)); small |x| by its series, where that form cancels. */
  float a = x < 0 ? -x : x;
  float t;
  if (a < 0.0625f) {
    float a2 = a * a;
    t = a * (1.0f + a2 * (-1.0f / 3 + a2 * (2.0f / 15 + a2 * (-17.0f / 315))));
  } else {
    t = 1.0f - 2.0f / (g4_expf(2.0f * a) + 1.0f);
  }
  return x < 0 ? -t : t;
}

/* erf via the Chebyshev fit of erfc in Numerical Recipes §6.2, as the reference backend computes it. */
static inline float g4_erff(float x) {
  float z = x < 0 ? -x : x;
  float t = 1.0f / (1.0f + 0.5f * z);
  float poly = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
      t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
  float r = t * g4_expf(-z * z + poly);
  return x >= 0 ? 1.0f - r : r - 1.0f;
}

static inline float g4_gelu_tanh(float x) {
  const float k = 0.7978845608028654f; /* √(2/π) */
  return 0.5f * x * (1.0f + g4_tanhf(k * (x + 0.044715f * x * x * x)));
}

static inline float g4_gelu_exact(float x) {
  return 0.5f * x * (1.0f + g4_erff(x * 0.7071067811865476f));
}

#endif
