/**
 * The decode loop: prefill the prompt, then sample one token at a time until a stop token, the token
 * budget, or cancellation. Logits processors (grammar masks, penalties, watermarks) run on each row of
 * logits before the sampler.
 */
import { BadRequestError, CancelledError } from "../errors.js";
import { Sampler, type SamplingOptions } from "./sampler.js";
import type { Session } from "./session.js";

/** Edits one row of logits in place before sampling; `generated` holds the tokens chosen so far. */
export type LogitsProcessor = (logits: Float32Array, generated: readonly number[]) => void;

export interface GenerateOptions extends SamplingOptions {
  /** Most new tokens (default 256). */
  readonly maxNewTokens?: number;
  /** Tokens that end generation (default: the model's eos ids). The stop token is returned. */
  readonly stopTokenIds?: readonly number[];
  readonly logitsProcessors?: readonly LogitsProcessor[];
  /** Called with each chosen token before the next step (e.g. to advance a grammar). */
  readonly onToken?: (id: number) => void;
  readonly signal?: AbortSignal;
}

export type FinishReason = "stop" | "length";

export interface GeneratedToken {
  readonly id: number;
  readonly logprob: number;
  /** Set on the last token. */
  readonly finishReason?: FinishReason;
}

export const DEFAULT_MAX_NEW_TOKENS = 256;

export async function* generateTokens(session: Session, prompt: Int32Array, defaultStopIds: readonly number[], options: GenerateOptions = {}): AsyncGenerator<GeneratedToken> {
  const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new BadRequestError(`max new tokens must be an integer ≥ 0, not ${maxNewTokens}`, "max_tokens");
  const sampler = new Sampler(options);
  const stop = new Set(options.stopTokenIds ?? defaultStopIds);
  const generated: number[] = [];
  if (maxNewTokens === 0) return;
  let logits = await session.prefill(prompt, "last");
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError();
    for (const process of options.logitsProcessors ?? []) process(logits, generated);
    const token = sampler.sample(logits);
    generated.push(token.id);
    options.onToken?.(token.id);
    const finishReason: FinishReason | undefined = stop.has(token.id) ? "stop" : generated.length >= maxNewTokens ? "length" : undefined;
    if (finishReason) {
      yield { ...token, finishReason };
      return;
    }
    yield token;
    logits = await session.step(token.id);
  }
}
