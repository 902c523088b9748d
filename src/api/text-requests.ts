/**
 * The text side of `Model`: chat turns, completions and embeddings, each built on the engine's sessions
 * (so they take part in continuous batching when it is on) and the model's tokenizer.
 */
import { BadRequestError, UnsupportedError } from "../errors.js";
import { ChatOutputAssembler, chatLogitsProcessors, renderChatPrompt, type ChatEvent, type ChatRequest, type OutputConstraint } from "../engine/chat-generation.js";
import type { FinishReason, LogitsProcessor } from "../engine/generate.js";
import type { SamplingOptions } from "../engine/sampler.js";
import type { Session } from "../engine/session.js";
import { generateText, type TextEvent } from "../engine/text-generation.js";
import { ChatFormatter } from "../tokenizer/chat-formatter.js";
import { StreamingDetokenizer } from "../tokenizer/streaming-detokenizer.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import type { ModelConfig } from "../model/model-config.js";

/** What the text requests need from a Model. */
export interface TextModelParts {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer | null;
  readonly maxContext: number;
  createSession(limits: { maxContext: number }): Session;
  /** Structured output for a response format, when the build supports it (null: plain text). */
  outputConstraint(request: ChatRequest, maxNewTokens: number): OutputConstraint | null;
}

export interface CompletionRequest extends SamplingOptions {
  /** Text (encoded with exactly one <bos>) or token ids (used as given). */
  readonly prompt: string | readonly number[];
  readonly maxNewTokens?: number;
  readonly stop?: readonly string[];
  readonly stopTokenIds?: readonly number[];
  readonly topLogprobs?: number;
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  /** Further processors (logit bias, a watermark), run after the penalties. */
  readonly logitsProcessors?: readonly LogitsProcessor[];
  readonly signal?: AbortSignal;
}

export type CompletionEvent =
  | Exclude<TextEvent, { type: "done" }>
  | { readonly type: "done"; readonly finishReason: FinishReason; readonly usage: { readonly promptTokens: number; readonly completionTokens: number } };

export function requireTokenizer(parts: TextModelParts): Tokenizer {
  if (!parts.tokenizer) throw new UnsupportedError("this model folder has no tokenizer.json, so it takes token ids only (use generate / prompt ids)");
  return parts.tokenizer;
}

/** New-token budget for a prompt: what was asked, checked against the context; by default the rest of it. */
export function tokenBudget(parts: TextModelParts, promptTokens: number, asked: number | undefined): number {
  const context = parts.maxContext;
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 1)) throw new BadRequestError(`max_tokens must be a positive integer, not ${asked}`, "max_tokens");
  if (promptTokens >= context) throw new BadRequestError(`the prompt is ${promptTokens} tokens, which leaves no room in the context of ${context} tokens`, "messages");
  if (asked !== undefined && promptTokens + asked > context) {
    throw new BadRequestError(`the prompt (${promptTokens} tokens) plus max_tokens (${asked}) is ${promptTokens + asked} tokens, more than the context of ${context} tokens`, "max_tokens");
  }
  return asked ?? context - promptTokens;
}

/** A chat turn ends on the model's eos ids and the tokenizer's end-of-turn / tool-response tokens. */
export function chatStopTokenIds(config: ModelConfig, tokenizer: Tokenizer): number[] {
  return [...new Set([...config.eosTokenIds, ...tokenizer.special.stopTokenIds])];
}

export async function* chat(parts: TextModelParts, formatter: ChatFormatter, request: ChatRequest): AsyncGenerator<ChatEvent> {
  const tokenizer = requireTokenizer(parts);
  const prompt = renderChatPrompt(formatter, request);
  const ids = tokenizer.encodePrompt(prompt.text);
  const maxNewTokens = tokenBudget(parts, ids.length, request.maxNewTokens);
  const processors: LogitsProcessor[] = [...chatLogitsProcessors(request, tokenizer.special.toolCallStart), ...(request.logitsProcessors ?? [])];
  const constraint = parts.outputConstraint(request, maxNewTokens);
  if (constraint) processors.push(constraint.logitsProcessor);
  const stopTokenIds = chatStopTokenIds(parts.config, tokenizer);
  const session = parts.createSession({ maxContext: ids.length + maxNewTokens });
  const assembler = new ChatOutputAssembler(prompt);
  try {
    const events = generateText(session, ids, { tokenizer, detokenizer: new StreamingDetokenizer(tokenizer, { skipSpecialTokens: false }), defaultStopIds: stopTokenIds }, {
      ...samplingOf(request),
      maxNewTokens,
      stopTokenIds,
      logitsProcessors: processors,
      ...(constraint ? { onToken: constraint.onToken } : {}),
      ...(request.stop ? { stop: request.stop } : {}),
      ...(request.topLogprobs ? { topLogprobs: request.topLogprobs } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    let completionTokens = 0;
    let finishReason: FinishReason | "tool_calls" = "length";
    let stoppedAfterCall = false;
    for await (const event of events) {
      if (event.type === "token") {
        completionTokens++;
        yield event;
      } else if (event.type === "text") {
        for (const e of assembler.push(event.text)) {
          yield e;
          if (e.type === "tool_call" && request.parallelToolCalls === false) stoppedAfterCall = true;
        }
        if (stoppedAfterCall) break;
      } else {
        finishReason = event.finishReason;
      }
    }
    for (const e of assembler.end()) yield e;
    if (assembler.toolCalls > 0 && (finishReason === "stop" || stoppedAfterCall)) finishReason = "tool_calls";
    yield { type: "done", finishReason, usage: { promptTokens: ids.length, completionTokens } };
  } finally {
    session.dispose();
  }
}

export async function* complete(parts: TextModelParts, request: CompletionRequest): AsyncGenerator<CompletionEvent> {
  const tokenizer = typeof request.prompt === "string" ? requireTokenizer(parts) : parts.tokenizer;
  const ids = typeof request.prompt === "string" ? tokenizer!.encodePrompt(request.prompt) : Int32Array.from(request.prompt);
  if (!tokenizer) throw new UnsupportedError("this model has no tokenizer.json: text completions need one (generate works on ids)");
  const maxNewTokens = tokenBudget(parts, ids.length, request.maxNewTokens);
  const penalties = chatLogitsProcessors({ messages: [], presencePenalty: request.presencePenalty ?? 0, frequencyPenalty: request.frequencyPenalty ?? 0 }, null);
  const defaultStopIds = [...new Set([...parts.config.eosTokenIds, ...(tokenizer.special.eos !== null ? [tokenizer.special.eos] : [])])];
  const session = parts.createSession({ maxContext: ids.length + maxNewTokens });
  try {
    let completionTokens = 0;
    for await (const event of generateText(session, ids, { tokenizer, detokenizer: new StreamingDetokenizer(tokenizer, { skipSpecialTokens: true }), defaultStopIds }, {
      ...samplingOf(request),
      maxNewTokens,
      logitsProcessors: [...penalties, ...(request.logitsProcessors ?? [])],
      ...(request.stopTokenIds ? { stopTokenIds: request.stopTokenIds } : {}),
      ...(request.stop ? { stop: request.stop } : {}),
      ...(request.topLogprobs ? { topLogprobs: request.topLogprobs } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    })) {
      if (event.type === "done") {
        yield { type: "done", finishReason: event.finishReason, usage: { promptTokens: ids.length, completionTokens } };
      } else {
        if (event.type === "token") completionTokens++;
        yield event;
      }
    }
  } finally {
    session.dispose();
  }
}

/**
 * Embeddings: the mean over positions of the last hidden state (after the final norm), L2-normalised.
 * Text is encoded with one <bos>; token-id inputs are used as given.
 */
export async function embed(parts: TextModelParts, inputs: readonly (string | readonly number[])[]): Promise<Float32Array[]> {
  const H = parts.config.hiddenDim;
  const out: Float32Array[] = [];
  for (const input of inputs) {
    const ids = typeof input === "string" ? requireTokenizer(parts).encodePrompt(input) : Int32Array.from(input);
    if (ids.length > parts.maxContext) throw new BadRequestError(`an input of ${ids.length} tokens exceeds the context of ${parts.maxContext} tokens`, "input");
    const session = parts.createSession({ maxContext: Math.max(1, ids.length) });
    try {
      const hidden = await session.hiddenStates(ids);
      const pooled = new Float64Array(H);
      for (let t = 0; t < ids.length; t++) for (let i = 0; i < H; i++) pooled[i]! += hidden[t * H + i]! / ids.length;
      const norm = Math.hypot(...pooled) || 1;
      out.push(Float32Array.from(pooled, (v) => v / norm));
    } finally {
      session.dispose();
    }
  }
  return out;
}

function samplingOf(r: SamplingOptions): SamplingOptions {
  return {
    ...(r.greedy !== undefined ? { greedy: r.greedy } : {}),
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.topK !== undefined ? { topK: r.topK } : {}),
    ...(r.topP !== undefined ? { topP: r.topP } : {}),
    ...(r.minP !== undefined ? { minP: r.minP } : {}),
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
  };
}
