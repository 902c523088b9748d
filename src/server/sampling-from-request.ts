/**
 * OpenAI sampling fields → the engine's SamplingOptions. OpenAI's default temperature is 1 (sampling);
 * temperature 0 is greedy. top_k and min_p are the usual extensions (vLLM, llama.cpp); top_k ≤ 0 is off.
 * With n > 1 and a seed, choice i uses seed + i so the choices differ but stay reproducible.
 */
import type { SamplingOptions } from "../engine/sampler.js";

export interface SamplingFields {
  readonly temperature?: number | null;
  readonly top_p?: number | null;
  readonly top_k?: number | null;
  readonly min_p?: number | null;
  readonly seed?: number | null;
}

export function samplingFromRequest(body: SamplingFields, choice = 0): SamplingOptions {
  const temperature = body.temperature ?? 1;
  const options: { -readonly [K in keyof SamplingOptions]: SamplingOptions[K] } = {};
  if (temperature === 0) {
    options.greedy = true;
  } else {
    options.temperature = temperature;
    if (body.top_p != null) options.topP = body.top_p;
    if (body.top_k != null && body.top_k > 0) options.topK = body.top_k;
    if (body.min_p != null) options.minP = body.min_p;
  }
  if (body.seed != null) options.seed = body.seed + choice;
  return options;
}
