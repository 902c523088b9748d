/** The JSON schema of `POST /v1/completions` bodies, and their type. */
import { MAX_TOP_LOGPROBS, MODEL_PROPERTY, SAMPLING_PROPERTIES, type SamplingBody } from "./schema-fragments.js";

/** Most prompts in one request. */
export const MAX_PROMPTS = 16;

export interface CompletionBody extends SamplingBody {
  readonly prompt: string | readonly string[] | readonly number[] | readonly (readonly number[])[];
  readonly max_tokens?: number | null;
  readonly logprobs?: number | null;
  readonly echo?: boolean | null;
  readonly suffix?: string | null;
  readonly best_of?: number | null;
}

const tokenIds = { type: "array", items: { type: "integer", minimum: 0, maximum: 2147483647 }, minItems: 1 } as const;

export const COMPLETION_REQUEST_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["model", "prompt"],
  properties: {
    model: MODEL_PROPERTY,
    prompt: {
      anyOf: [
        { type: "string", minLength: 1 },
        { type: "array", items: { type: "string", minLength: 1 }, minItems: 1, maxItems: MAX_PROMPTS },
        tokenIds,
        { type: "array", items: tokenIds, minItems: 1, maxItems: MAX_PROMPTS },
      ],
    },
    max_tokens: { anyOf: [{ type: "integer", minimum: 1 }, { type: "null" }] },
    logprobs: { anyOf: [{ type: "integer", minimum: 0, maximum: MAX_TOP_LOGPROBS }, { type: "null" }] },
    echo: { anyOf: [{ type: "boolean" }, { type: "null" }] },
    suffix: { anyOf: [{ type: "string", maxLength: 0 }, { type: "null" }] },
    best_of: { anyOf: [{ type: "integer", minimum: 1, maximum: 16 }, { type: "null" }] },
    ...SAMPLING_PROPERTIES,
  },
} as const;
