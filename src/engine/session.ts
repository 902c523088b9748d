/**
 * One sequence being processed: its KV cache and position. Prompts are prefilled in chunks of at most
 * `prefillChunk` tokens, so a sliding layer's cache stays bounded by its window plus one chunk however long
 * the prompt, and a long prompt cannot monopolise a shared backend for one huge step.
 */
import { BadRequestError } from "../errors.js";
import type { GemmaDecoder } from "../model/decoder.js";
import { KvCache } from "../model/kv-cache.js";
import { DirectStepRunner, type StepOutput, type StepRunner } from "./step-runner.js";

export interface SessionOptions {
  /** Most tokens the sequence may hold. */
  readonly maxContext: number;
  /** Most tokens per forward call while prefilling. */
  readonly prefillChunk: number;
  /** Called once when the session is disposed (the owner's accounting of live KV memory). */
  readonly onDispose?: (session: Session) => void;
}

export class Session {
  readonly cache: KvCache;
  private disposed = false;

  /** `runner` decides how steps reach the decoder: directly by default, or batched with other sessions. */
  constructor(private readonly decoder: GemmaDecoder, readonly options: SessionOptions, private readonly runner: StepRunner = new DirectStepRunner(decoder)) {
    this.cache = new KvCache(decoder.backend, decoder.config, { maxContext: options.maxContext, maxChunk: options.prefillChunk });
  }

  /** Tokens processed so far. */
  get length(): number {
    return this.cache.length;
  }

  /** Runs `ids` through the model; returns the logits of the last token [V], or of every token [T·V]. */
  async prefill(ids: Int32Array, want: "last" | "all" = "last"): Promise<Float32Array> {
    return rowsOf(await this.run(ids, want));
  }

  /**
   * Runs `ids` through the model; returns the last token's `top` most likely next tokens where the backend
   * can pick them out on its side (Backend.topLogits: a GPU reads back a few candidates, not the
   * vocabulary), else the last token's logits [V].
   */
  prefillTop(ids: Int32Array, top: number): Promise<StepOutput> {
    return this.run(ids, "last", top);
  }

  private async run(ids: Int32Array, want: "last" | "all", top?: number): Promise<StepOutput> {
    this.checkPrompt(ids);
    const V = this.decoder.config.vocabSize;
    const all = want === "all" ? new Float32Array(ids.length * V) : null;
    let last: StepOutput | null = null;
    for (let start = 0; start < ids.length; start += this.options.prefillChunk) {
      const chunk = ids.subarray(start, Math.min(ids.length, start + this.options.prefillChunk));
      const isLast = start + chunk.length === ids.length;
      const logitsWanted = all ? "all" : isLast ? "last" : "none";
      const output = await this.runner.run({ cache: this.cache, ids: chunk, logits: logitsWanted, ...(isLast && top !== undefined ? { top } : {}) });
      if (logitsWanted === "none") continue;
      if (all) all.set(rowsOf(output), start * V);
      else last = output;
    }
    return all ?? last!;
  }

  /** Runs `ids` through the model; returns the final hidden state (after the last norm) of each: [T·H]. */
  async hiddenStates(ids: Int32Array): Promise<Float32Array> {
    this.checkPrompt(ids);
    const H = this.decoder.config.hiddenDim;
    const out = new Float32Array(ids.length * H);
    for (let start = 0; start < ids.length; start += this.options.prefillChunk) {
      const chunk = ids.subarray(start, Math.min(ids.length, start + this.options.prefillChunk));
      out.set(rowsOf(await this.runner.run({ cache: this.cache, ids: chunk, logits: "hidden" })), start * H);
    }
    return out;
  }

  /** Feeds one token; returns the next token's logits [V]. */
  step(id: number): Promise<Float32Array> {
    return this.prefill(Int32Array.of(id), "last");
  }

  /** Size of the model's vocabulary (the length of a row of logits). */
  get vocabSize(): number {
    return this.decoder.config.vocabSize;
  }

  private checkPrompt(ids: Int32Array): void {
    if (ids.length === 0) throw new BadRequestError("prompt is empty: at least one token is needed", "prompt");
    checkTokenIds(ids, this.vocabSize, "token id", "prompt");
    if (this.cache.length + ids.length > this.options.maxContext) {
      throw new BadRequestError(`${this.cache.length + ids.length} tokens exceed the context of ${this.options.maxContext}`, "prompt");
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cache.dispose();
    this.options.onDispose?.(this);
  }
}

/** Rows of values from a step that was not asked for its top tokens. */
function rowsOf(output: StepOutput): Float32Array {
  if (!(output instanceof Float32Array)) throw new Error("a step asked for rows returned top tokens");
  return output;
}

/** Throws a BadRequestError naming the first of `ids` (a `what`, e.g. "token id") outside 0..vocabSize−1. */
export function checkTokenIds(ids: Iterable<number>, vocabSize: number, what: string, field: string): void {
  for (const id of ids) {
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) throw new BadRequestError(`${what} ${id} is outside the vocabulary (0..${vocabSize - 1})`, field);
  }
}
