/** Scalar functions of the reference backend, each rounded to float32 where torch rounds. */

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** gelu_pytorch_tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluTanh(x: number): number {
  return Math.fround(0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))));
}

/** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
export function geluExact(x: number): number {
  return Math.fround(0.5 * x * (1 + erf(x * Math.SQRT1_2)));
}

/**
 * erf via the Chebyshev fit of erfc in Numerical Recipes §6.2 (fractional error < 1.2e-7 everywhere,
 * below float32 resolution for the results GELU needs).
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

export function softcap(x: number, cap: number): number {
  return Math.fround(cap * Math.fround(Math.tanh(Math.fround(x / cap))));
}
