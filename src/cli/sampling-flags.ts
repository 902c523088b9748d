/** The sampling flags shared by generating commands, parsed into SamplingOptions. */
import type { SamplingOptions } from "../engine/sampler.js";
import { UsageError, numberFlag } from "./command.js";

export const SAMPLING_FLAGS = {
  greedy: { type: "boolean" },
  temperature: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  "min-p": { type: "string" },
  seed: { type: "string" },
} as const;

export interface SamplingFlagValues {
  readonly greedy?: boolean | undefined;
  readonly temperature?: string | undefined;
  readonly "top-k"?: string | undefined;
  readonly "top-p"?: string | undefined;
  readonly "min-p"?: string | undefined;
  readonly seed?: string | undefined;
}

export function samplingFromFlags(v: SamplingFlagValues, defaults: SamplingOptions = {}): SamplingOptions {
  const temperature = numberFlag("temperature", v.temperature, { min: 0 });
  const topK = numberFlag("top-k", v["top-k"], { min: 0, integer: true });
  const topP = numberFlag("top-p", v["top-p"], { min: 0, max: 1 });
  const minP = numberFlag("min-p", v["min-p"], { min: 0, max: 1 });
  const seed = numberFlag("seed", v.seed, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  if (topP === 0) throw new UsageError("--top-p must be greater than 0", "top-p");
  if (v.greedy && (temperature !== undefined || topK !== undefined || topP !== undefined || minP !== undefined)) {
    throw new UsageError("--greedy cannot be combined with --temperature, --top-k, --top-p or --min-p", "greedy");
  }
  if (v.greedy) return { greedy: true };
  const options: SamplingOptions = {
    ...defaults,
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topK !== undefined ? { topK } : {}),
    ...(topP !== undefined ? { topP } : {}),
    ...(minP !== undefined ? { minP } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
  return options;
}
