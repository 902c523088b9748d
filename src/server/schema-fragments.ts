/**
 * JSON-schema pieces shared by the request schemas: sampling fields, stop sequences, limits on sizes. Every
 * request body is validated against its schema before a handler sees it; the first violation becomes a
 * 400 naming the field (see openai-error.ts).
 */

/** Longest stop string and most stop strings (OpenAI allows 4). */
export const MAX_STOP_LENGTH = 256;
export const MAX_STOP_SEQUENCES = 4;
/** Most choices per request (n); also bounded by the batch size at run time. */
export const MAX_CHOICES = 16;
/** Most alternatives per token in logprobs. */
export const MAX_TOP_LOGPROBS = 20;

const nullable = (schema: Record<string, unknown>): Record<string, unknown> => ({ anyOf: [schema, { type: "null" }] });

export const SAMPLING_PROPERTIES = {
  temperature: nullable({ type: "number", minimum: 0, maximum: 2 }),
  top_p: nullable({ type: "number", exclusiveMinimum: 0, maximum: 1 }),
  top_k: nullable({ type: "integer", minimum: -1 }),
  min_p: nullable({ type: "number", minimum: 0, maximum: 1 }),
  seed: nullable({ type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 }),
  presence_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  frequency_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  n: nullable({ type: "integer", minimum: 1, maximum: MAX_CHOICES }),
  stop: nullable({
    anyOf: [
      { type: "string", minLength: 1, maxLength: MAX_STOP_LENGTH },
      { type: "array", items: { type: "string", minLength: 1, maxLength: MAX_STOP_LENGTH }, maxItems: MAX_STOP_SEQUENCES },
    ],
  }),
  /** Extension (vLLM): token ids that end generation, for models served without a tokenizer. */
  stop_token_ids: nullable({ type: "array", items: { type: "integer", minimum: 0 }, maxItems: 64 }),
  stream: nullable({ type: "boolean" }),
  stream_options: nullable({
    type: "object",
    additionalProperties: false,
    properties: { include_usage: { type: "boolean" }, include_obfuscation: { type: "boolean" } },
  }),
  user: { type: "string", maxLength: 256 },
  /** Accepted and ignored: they change nothing a local server does. */
  metadata: nullable({ type: "object" }),
  store: nullable({ type: "boolean" }),
  service_tier: nullable({ type: "string", maxLength: 32 }),
  logit_bias: nullable({ type: "object", maxProperties: 300, additionalProperties: { type: "number", minimum: -100, maximum: 100 } }),
} as const;

export const MODEL_PROPERTY = { type: "string", minLength: 1, maxLength: 256 } as const;

export interface SamplingBody {
  readonly model: string;
  readonly temperature?: number | null;
  readonly top_p?: number | null;
  readonly top_k?: number | null;
  readonly min_p?: number | null;
  readonly seed?: number | null;
  readonly presence_penalty?: number | null;
  readonly frequency_penalty?: number | null;
  readonly n?: number | null;
  readonly stop?: string | readonly string[] | null;
  readonly stop_token_ids?: readonly number[] | null;
  readonly stream?: boolean | null;
  readonly stream_options?: { readonly include_usage?: boolean } | null;
  readonly logit_bias?: Readonly<Record<string, number>> | null;
}

/** The stop strings of a request as a list. */
export function stopList(stop: string | readonly string[] | null | undefined): string[] {
  if (stop == null) return [];
  return typeof stop === "string" ? [stop] : [...stop];
}
