/**
 * Continuous batching: sessions submit steps (a prefill chunk or one decode token) whenever they are ready;
 * the scheduler stacks whatever is waiting into one forward pass, so every weight is read once for the
 * whole batch. Requests join between passes and leave when their loop stops submitting. A prompt arrives
 * as chunks (Session prefills in chunks and awaits each), so a long prompt shares each pass with everyone's
 * decode steps instead of freezing their streams.
 */
import type { GemmaDecoder } from "../model/decoder.js";
import { nextTurn } from "./next-turn.js";
import { readAndRelease, type StepOutput, type StepRequest, type StepRunner } from "./step-runner.js";

export interface BatchSchedulerOptions {
  /** Most sequences per forward pass. */
  readonly maxBatch: number;
  /** Most tokens per forward pass (prefill chunks count their length). At least one step always runs. */
  readonly maxBatchTokens: number;
}

export interface BatchStats {
  readonly passes: number;
  readonly steps: number;
  readonly tokens: number;
  /** Sequences in the most recent pass. */
  readonly lastBatchSize: number;
  /** Steps waiting for the next pass. */
  readonly waiting: number;
}

interface Pending {
  readonly step: StepRequest;
  resolve(values: StepOutput): void;
  reject(error: unknown): void;
}

export class BatchScheduler implements StepRunner {
  private queue: Pending[] = [];
  private running = false;
  private passes = 0;
  private steps = 0;
  private tokens = 0;
  private lastBatchSize = 0;
  /** Called after each pass (metrics). */
  onPass?: (batchSize: number, tokens: number) => void;

  constructor(private readonly decoder: GemmaDecoder, readonly options: BatchSchedulerOptions) {}

  run(step: StepRequest): Promise<StepOutput> {
    return new Promise((resolve, reject) => {
      this.queue.push({ step, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let every session that is ready this tick submit before the pass starts.
        void nextTurn().then(() => this.drain());
      }
    });
  }

  get stats(): BatchStats {
    return { passes: this.passes, steps: this.steps, tokens: this.tokens, lastBatchSize: this.lastBatchSize, waiting: this.queue.length };
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        await this.runPass(batch);
        // Give sessions whose step just finished a chance to submit their next one. Two turns: the decode loop
        // itself yields one turn (nextTurn) between tokens, and a session whose turn was queued after
        // ours would otherwise miss this pass — through the server that split every batch into 1 + 31.
        await nextTurn();
        await nextTurn();
      }
    } finally {
      this.running = false;
    }
  }

  /** FIFO, one step per sequence, within the size limits (the first step always fits). */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const caches = new Set<unknown>();
    let tokens = 0;
    const rest: Pending[] = [];
    for (const p of this.queue) {
      const fits = batch.length < this.options.maxBatch && (batch.length === 0 || tokens + p.step.ids.length <= this.options.maxBatchTokens);
      if (fits && !caches.has(p.step.cache)) {
        batch.push(p);
        caches.add(p.step.cache);
        tokens += p.step.ids.length;
      } else {
        rest.push(p);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async runPass(batch: Pending[]): Promise<void> {
    const backend = this.decoder.backend;
    let outs;
    try {
      outs = this.decoder.forwardBatch(batch.map((p) => p.step));
    } catch (e) {
      // A bad step (e.g. one that overflows its context) must not take the others down: retry them alone.
      if (batch.length === 1) { batch[0]!.reject(e); return; }
      for (const p of batch) {
        try {
          const out = this.decoder.forward(p.step.ids, p.step.cache, { logits: p.step.logits });
          p.resolve(await readAndRelease(backend, out, p.step));
        } catch (error) {
          p.reject(error);
        }
      }
      return;
    }
    const tokens = batch.reduce((n, p) => n + p.step.ids.length, 0);
    this.passes++;
    this.steps += batch.length;
    this.tokens += tokens;
    this.lastBatchSize = batch.length;
    this.onPass?.(batch.length, tokens);
    await Promise.all(batch.map(async (p, i) => {
      try {
        p.resolve(await readAndRelease(backend, outs[i]!, p.step));
      } catch (error) {
        p.reject(error);
      }
    }));
  }
}
