/**
 * The decode loop: prefill the prompt, then sample one token at a time until a stop token, the token
 * budget, or cancellation. Logits processors (grammar masks, penalties, watermarks) run on each row of
 * logits before the sampler.
 */
import { BadRequestError, CancelledError } from "../errors.js";
import { Sampler, topIndices, type SamplingOptions } from "./sampler.js";
import { nextTurn } from "./next-turn.js";
import { checkTokenIds, type Session } from "./session.js";
import type { StepOutput } from "./step-runner.js";

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
  /** Also report this many most likely alternatives (with log-probabilities) at each step. */
  readonly topLogprobs?: number;
  readonly signal?: AbortSignal;
}

export interface TokenLogprob {
  readonly id: number;
  readonly logprob: number;
}

export type FinishReason = "stop" | "length";

export interface GeneratedToken {
  readonly id: number;
  /** Log-probability of the token, from the logits after the logits processors (masks, penalties) and
   *  before temperature and top-k/p/min-p filtering. */
  readonly logprob: number;
  /** The most likely tokens at this step, when `topLogprobs` was asked for. */
  readonly top?: readonly TokenLogprob[];
  /** Set on the last token. */
  readonly finishReason?: FinishReason;
}

export const DEFAULT_MAX_NEW_TOKENS = 256;

export async function* generateTokens(session: Session, prompt: Int32Array, defaultStopIds: readonly number[], options: GenerateOptions = {}): AsyncGenerator<GeneratedToken> {
  const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new BadRequestError(`max new tokens must be an integer ≥ 0, not ${maxNewTokens}`, "max_tokens");
  const sampler = new Sampler(options);
  const stop = new Set(options.stopTokenIds ?? defaultStopIds);
  // A stop id the model can never produce would silently never stop anything.
  checkTokenIds(options.stopTokenIds ?? [], session.vocabSize, "stop token id", "stop_token_ids");
  const generated: number[] = [];
  if (maxNewTokens === 0) return;
  // Where nothing needs the whole row (no logits processors, no top logprobs) and the sampler chooses among
  // a few most likely tokens (greedy, top-k), the backend may pick those out itself (Backend.topLogits):
  // on a GPU that reads back a few candidates per step instead of the vocabulary. The choice is the same.
  const top = options.logitsProcessors?.length || options.topLogprobs ? null : sampler.candidatesNeeded(session.vocabSize);
  const run = (ids: Int32Array): Promise<StepOutput> => (top === null ? session.prefill(ids, "last") : session.prefillTop(ids, top));
  let output = await run(prompt);
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError();
    let token: GeneratedToken;
    if (output instanceof Float32Array) {
      const logits = output;
      for (const process of options.logitsProcessors ?? []) process(logits, generated);
      const sampled = sampler.sample(logits);
      token = options.topLogprobs ? { ...sampled, top: topLogprobsOf(logits, options.topLogprobs, sampled) } : sampled;
    } else {
      token = sampler.sampleTop(output);
    }
    generated.push(token.id);
    options.onToken?.(token.id);
    const finishReason: FinishReason | undefined = stop.has(token.id) ? "stop" : generated.length >= maxNewTokens ? "length" : undefined;
    if (finishReason) {
      yield { ...token, finishReason };
      return;
    }
    yield token;
    // Let the event loop run between steps (a CPU backend's step is synchronous work): input, cancellation
    // and other requests' I/O must not wait for the whole generation.
    await nextTurn();
    if (options.signal?.aborted) throw new CancelledError();
    output = await run(Int32Array.of(token.id));
  }
}

/** The `count` most likely tokens of a row with their log-probabilities (derived from the chosen token's). */
function topLogprobsOf(logits: Float32Array, count: number, chosen: { id: number; logprob: number }): TokenLogprob[] {
  // logprob(i) = logits[i] − logSumExp, and the sampler already computed logSumExp for the chosen token.
  const logSumExp = logits[chosen.id]! - chosen.logprob;
  return Array.from(topIndices(logits, Math.min(count, logits.length)), (id) => ({ id, logprob: logits[id]! - logSumExp }));
}
