/**
 * OpenAI sampling fields → the engine's SamplingOptions. Fields the request sets win; the ones it leaves out
 * come from the checkpoint's generation_config.json (as vLLM does), and without one from OpenAI's defaults
 * (temperature 1, no top-k/top-p). Temperature 0 is greedy; top_k ≤ 0 is off. With n > 1 and a seed,
 * choice i uses seed + i so the choices differ but stay reproducible.
 */
import type { SamplingOptions } from "../engine/sampler.js";
import type { GenerationDefaults } from "../formats/hf-config.js";

export interface SamplingFields {
  readonly temperature?: number | null;
  readonly top_p?: number | null;
  readonly top_k?: number | null;
  readonly min_p?: number | null;
  readonly seed?: number | null;
}

export function samplingFromRequest(body: SamplingFields, defaults: GenerationDefaults, choice = 0): SamplingOptions {
  const temperature = body.temperature ?? (defaults.greedy ? 0 : defaults.temperature ?? 1);
  const options: { -readonly [K in keyof SamplingOptions]: SamplingOptions[K] } = {};
  if (temperature === 0) {
    options.greedy = true;
  } else {
    options.temperature = temperature;
    const topP = body.top_p ?? defaults.topP;
    const topK = body.top_k ?? defaults.topK;
    const minP = body.min_p ?? defaults.minP;
    if (topP !== undefined) options.topP = topP;
    if (topK !== undefined && topK > 0) options.topK = topK;
    if (minP !== undefined) options.minP = minP;
  }
  if (body.seed != null) options.seed = body.seed + choice;
  return options;
}
