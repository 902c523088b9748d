/**
 * Tokens → text while generating: runs the decode loop on a session, detokenizes incrementally (never a
 * broken UTF-8 sequence), applies stop strings, and reports each token with its text and log-probabilities.
 * Both completions and chat are built on this.
 */
import type { StreamingDetokenizer } from "../tokenizer/streaming-detokenizer.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { generateTokens, type FinishReason, type GenerateOptions, type TokenLogprob } from "./generate.js";
import type { Session } from "./session.js";
import { StopStringMatcher } from "./stop-strings.js";

export interface TextGenerationOptions extends GenerateOptions {
  /** Generation ends before any of these strings; they are not part of the text. */
  readonly stop?: readonly string[];
}

export type TextEvent =
  /** Text that is final (a stop string can no longer cut it). */
  | { readonly type: "text"; readonly text: string }
  /** One generated token, its text on its own, and its log-probabilities. */
  | { readonly type: "token"; readonly id: number; readonly piece: string; readonly logprob: number; readonly top?: readonly (TokenLogprob & { readonly piece: string })[] }
  | { readonly type: "done"; readonly finishReason: FinishReason; readonly completionTokens: number };

export interface TextGenerationContext {
  readonly tokenizer: Tokenizer;
  readonly detokenizer: StreamingDetokenizer;
  readonly defaultStopIds: readonly number[];
}

export async function* generateText(session: Session, prompt: Int32Array, context: TextGenerationContext, options: TextGenerationOptions): AsyncGenerator<TextEvent> {
  const { tokenizer, detokenizer } = context;
  const stops = new StopStringMatcher(options.stop ?? []);
  const stopIds = new Set(options.stopTokenIds ?? context.defaultStopIds);
  let count = 0;
  let finishReason: FinishReason = "length";
  for await (const token of generateTokens(session, prompt, context.defaultStopIds, options)) {
    count++;
    const piece = tokenizer.decode([token.id]);
    yield {
      type: "token", id: token.id, piece, logprob: token.logprob,
      ...(token.top ? { top: token.top.map((t) => ({ ...t, piece: tokenizer.decode([t.id]) })) } : {}),
    };
    // The stop token ends the text; it is not part of it.
    const isStopToken = token.finishReason === "stop" && stopIds.has(token.id);
    const text = stops.push(isStopToken ? detokenizer.flush() : detokenizer.push(token.id));
    if (text) yield { type: "text", text };
    if (stops.hasStopped) {
      finishReason = "stop";
      break;
    }
    if (token.finishReason) finishReason = token.finishReason;
  }
  if (!stops.hasStopped) {
    const tail = stops.push(detokenizer.flush()) + stops.flush();
    if (tail) yield { type: "text", text: tail };
  }
  yield { type: "done", finishReason, completionTokens: count };
}
