/**
 * `Model`: a loaded checkpoint on a backend, with the operations front ends use. Every front end (CLI,
 * server, web page, evaluation) goes through this class and the engine behind it.
 */
import type { Backend } from "../backends/ops.js";
import { BadRequestError, UnsupportedError } from "../errors.js";
import type { ChatEvent, ChatRequest, OutputConstraint } from "../engine/chat-generation.js";
import { ChatFormatter } from "../tokenizer/chat-formatter.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import type { GenerationDefaults } from "../formats/hf-config.js";
import { responseFormatConstraint, vocabularyTrie } from "../engine/structured/response-constraint.js";
import { toolNameConstraint } from "../engine/structured/tool-name-constraint.js";
import { chat, chatStopTokenIds, complete, embed, type CompletionEvent, type CompletionRequest, type TextModelParts } from "./text-requests.js";
import { generateTokens, type GenerateOptions, type GeneratedToken } from "../engine/generate.js";
import { BatchScheduler, type BatchSchedulerOptions, type BatchStats } from "../engine/batch-scheduler.js";
import { Session } from "../engine/session.js";
import { GemmaDecoder } from "../model/decoder.js";
import { listWeights, type ModelWeights } from "../model/model-weights.js";
import type { ModelConfig } from "../model/model-config.js";
import { loadTrainableModel } from "../train/load-trainable-model.js";
import type { LossAndGradients, TrainableModel } from "../train/trainable-model.js";

export interface ModelInfo {
  /** Where the model was loaded from. */
  readonly source: string;
  /** Bytes of the checkpoint files. */
  readonly fileBytes: number;
  /** Tensors in the checkpoint that the text decoder does not run (vision/audio towers). */
  readonly skippedTensors: readonly string[];
  /** The LoRA adapter folder merged in at load time, if any. */
  readonly lora?: string;
}

export interface SessionLimits {
  /** Most tokens a sequence may hold (default: the model's max_position_embeddings). */
  readonly maxContext?: number;
  /** Most tokens per prefill step (default 512). */
  readonly prefillChunk?: number;
}

/** Sequences alive now and the KV-cache memory they hold. */
export interface KvCacheStats {
  readonly sessions: number;
  /** Bytes of the live sessions' KV stores (allocated at their capacity). */
  readonly bytes: number;
}

/** Prompt tokens per forward pass when a session is not told otherwise. */
export const DEFAULT_PREFILL_CHUNK = 512;

/**
 * Throws unless `maxContext` is a whole number of tokens within what the checkpoint was made for: positions past
 * its max_position_embeddings are not an error in the arithmetic, but the model's answers there are noise.
 */
export function checkContextLength(maxContext: number, config: ModelConfig): void {
  if (!Number.isInteger(maxContext) || maxContext < 1) throw new BadRequestError(`maxContext must be a positive integer, not ${maxContext}`, "maxContext");
  if (maxContext > config.maxPositions) {
    throw new BadRequestError(`a context of ${maxContext} tokens is more than this model's ${config.maxPositions} (max_position_embeddings; lower --ctx / maxContext)`, "maxContext");
  }
}

/** What `Model.overWeights` needs besides the weights: where they came from, what the checkpoint recommends. */
export interface ModelParts {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  readonly backend: Backend;
  readonly info: ModelInfo;
  readonly tokenizer: Tokenizer | null;
  readonly generationDefaults: GenerationDefaults;
}

export class Model {
  private disposed = false;
  private trainable: TrainableModel | null = null;
  private scheduler: BatchScheduler | null = null;
  private readonly liveSessions = new Set<Session>();
  private formatter: ChatFormatter | null = null;

  constructor(
    private readonly decoder: GemmaDecoder,
    readonly info: ModelInfo,
    private readonly limits: Required<SessionLimits>,
    /** The folder's tokenizer (tokenizer.json), or null for models that take token ids only. */
    readonly tokenizer: Tokenizer | null,
    /** Sampling the checkpoint recommends (generation_config.json); front ends use it when not told otherwise. */
    readonly generationDefaults: GenerationDefaults,
    private readonly onDispose: () => void,
  ) {}

  /** A Model over weights loaded onto `backend` (released on dispose); limits default to the checkpoint's
   *  positions and DEFAULT_PREFILL_CHUNK. How `loadModel` and the page's loader end. */
  static overWeights(parts: ModelParts, limits: SessionLimits = {}): Model {
    const { config, weights, backend } = parts;
    const sessionLimits = { maxContext: limits.maxContext ?? config.maxPositions, prefillChunk: limits.prefillChunk ?? DEFAULT_PREFILL_CHUNK };
    return new Model(new GemmaDecoder(config, weights, backend), parts.info, sessionLimits, parts.tokenizer, parts.generationDefaults, () => {
      for (const w of listWeights(weights)) backend.release(w);
    });
  }

  /** Most tokens one sequence may hold (prompt + generated). */
  get maxContext(): number {
    return this.limits.maxContext;
  }

  /** The chat format: the folder's template, or the built-in Gemma format. */
  get chatFormatter(): ChatFormatter {
    if (!this.tokenizer) throw new UnsupportedError(`${this.info.source}: no tokenizer.json, so this model cannot chat (it takes token ids)`);
    this.formatter ??= new ChatFormatter(this.tokenizer);
    return this.formatter;
  }

  /** One chat turn, streamed: reasoning, answer text, tool calls, per-token log-probabilities, then "done". */
  chat(request: ChatRequest): AsyncGenerator<ChatEvent> {
    return chat(this.textParts(), this.chatFormatter, request);
  }

  /** A plain completion of a text (or token-id) prompt, streamed. */
  complete(request: CompletionRequest): AsyncGenerator<CompletionEvent> {
    return complete(this.textParts(), request);
  }

  /** One vector per input: the mean of the last hidden state over positions, L2-normalised. */
  embed(inputs: readonly (string | readonly number[])[]): Promise<Float32Array[]> {
    return embed(this.textParts(), inputs);
  }

  private textParts(): TextModelParts {
    this.assertLive();
    return {
      config: this.config,
      tokenizer: this.tokenizer,
      maxContext: this.limits.maxContext,
      createSession: (limits) => this.createSession(limits),
      outputConstraint: (request, maxNewTokens) => this.outputConstraint(request, maxNewTokens),
    };
  }

  private outputConstraint(request: ChatRequest, maxNewTokens: number): OutputConstraint | null {
    if (!this.tokenizer) return null;
    // A required call: the answer is a tool call (its name is constrained), whatever the response format says.
    if (request.toolChoice === "required" && request.tools && request.tools.length > 0) {
      return toolNameConstraint(request.tools.map((t) => t.function.name), vocabularyTrie(this.tokenizer, chatStopTokenIds(this.config, this.tokenizer)));
    }
    const format = request.responseFormat;
    if (!format || format.type === "text") return null;
    return responseFormatConstraint(format, {
      tokenizer: this.tokenizer,
      stopIds: chatStopTokenIds(this.config, this.tokenizer),
      maxNewTokens,
      thinking: request.thinking === true,
    });
  }

  get config(): ModelConfig {
    return this.decoder.config;
  }

  get backend(): Backend {
    return this.decoder.backend;
  }

  /** A fresh sequence with its own KV cache. Dispose it when done. */
  createSession(limits: SessionLimits = {}): Session {
    this.assertLive();
    const maxContext = limits.maxContext ?? this.limits.maxContext;
    checkContextLength(maxContext, this.config);
    const prefillChunk = Math.min(limits.prefillChunk ?? this.limits.prefillChunk, maxContext);
    const onDispose = (session: Session): void => { this.liveSessions.delete(session); };
    const session = new Session(this.decoder, { maxContext, prefillChunk, onDispose }, ...(this.scheduler ? [this.scheduler] : []));
    this.liveSessions.add(session);
    return session;
  }

  /** Live sessions and their KV bytes: a finished or cancelled request's memory leaves this when its session is disposed. */
  get kvCacheStats(): KvCacheStats {
    let bytes = 0;
    for (const s of this.liveSessions) bytes += s.cache.capacityBytes;
    return { sessions: this.liveSessions.size, bytes };
  }

  /**
   * Continuous batching: from now on, the steps of all sessions (and so of concurrent `stream`/`generate`
   * calls) that are ready at the same time run as one forward pass.
   */
  enableBatching(options: BatchSchedulerOptions): BatchScheduler {
    this.assertLive();
    this.scheduler = new BatchScheduler(this.decoder, options);
    return this.scheduler;
  }

  /** Counters of the batch scheduler, or null when batching is off. */
  get batchStats(): BatchStats | null {
    return this.scheduler?.stats ?? null;
  }

  /** Logits of every position of `ids` in one causal pass: Float32Array [T × V], row-major. */
  async logits(ids: ArrayLike<number>): Promise<Float32Array> {
    const prompt = toIds(ids);
    const session = this.createSession({ maxContext: Math.max(prompt.length, 1) });
    try {
      return await session.prefill(prompt, "all");
    } finally {
      session.dispose();
    }
  }

  /**
   * Mean next-token cross-entropy over `batch` (each a token-id sequence; ids[t] predicts ids[t+1]) and its
   * gradient with respect to every trainable parameter, keyed by checkpoint tensor name (with an adapter
   * loaded: by PEFT LoRA tensor name, the base frozen). Runs on a float32 training copy of the weights,
   * read from the model's folder on first use.
   */
  async lossAndGradients(batch: readonly ArrayLike<number>[]): Promise<LossAndGradients> {
    this.assertLive();
    this.trainable ??= loadTrainableModel(this.info.source, this.info.lora ?? null);
    return this.trainable.lossAndGradients(batch);
  }

  /** Streams new tokens after `ids`. The stop token, when reached, is the last one yielded. */
  async *stream(ids: ArrayLike<number>, options: GenerateOptions = {}): AsyncGenerator<GeneratedToken> {
    const prompt = toIds(ids);
    const session = this.createSession(options.maxNewTokens !== undefined
      ? { maxContext: Math.min(this.limits.maxContext, prompt.length + options.maxNewTokens) }
      : {});
    try {
      yield* generateTokens(session, prompt, this.config.eosTokenIds, options);
    } finally {
      session.dispose();
    }
  }

  /** New token ids after `ids` (including the stop token if one ended generation). */
  async generate(ids: ArrayLike<number>, options: GenerateOptions = {}): Promise<Int32Array> {
    const out: number[] = [];
    for await (const token of this.stream(ids, options)) out.push(token.id);
    return Int32Array.from(out);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.trainable = null;
    this.onDispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error("model was disposed");
  }
}

function toIds(ids: ArrayLike<number>): Int32Array {
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new BadRequestError(`token id ${id} is not a non-negative integer`, "prompt");
    out[i] = id;
  }
  return out;
}
