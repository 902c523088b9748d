/**
 * How a Session's forward steps reach the decoder: directly (one sequence), or through a BatchScheduler
 * that stacks the steps of many sessions into one forward pass.
 */
import type { Backend, TopLogits } from "../backends/ops.js";
import type { GemmaDecoder, LogitsWanted } from "../model/decoder.js";
import type { KvCache } from "../model/kv-cache.js";

export interface StepRequest {
  readonly cache: KvCache;
  readonly ids: Int32Array;
  readonly logits: LogitsWanted;
  /** With logits "last": where the backend can pick them out (Backend.topLogits), only the `top` most likely
   *  tokens come back instead of the row (a GPU then reads back a few candidates, not the vocabulary). */
  readonly top?: number;
}

/** A step's logits (empty when none were wanted), or the most likely tokens where `top` was asked for. */
export type StepOutput = Float32Array | TopLogits;

export interface StepRunner {
  /** Runs one step; resolves with its output. */
  run(step: StepRequest): Promise<StepOutput>;
}

/** Runs each step on its own, immediately. */
export class DirectStepRunner implements StepRunner {
  constructor(private readonly decoder: GemmaDecoder) {}

  async run(step: StepRequest): Promise<StepOutput> {
    const out = this.decoder.forward(step.ids, step.cache, { logits: step.logits });
    return readAndRelease(this.decoder.backend, out, step);
  }
}

/** What `step` wants of the forward's output `out`, read back; `out` is released. */
export async function readAndRelease(backend: Backend, out: Parameters<Backend["read"]>[0], step: Pick<StepRequest, "logits" | "top">): Promise<StepOutput> {
  try {
    if (step.logits === "none") return new Float32Array(0);
    if (step.top !== undefined && step.logits === "last" && backend.topLogits) {
      const top = await backend.topLogits(out, step.top);
      if (top) return top;
    }
    return await backend.read(out);
  } finally {
    backend.release(out);
  }
}
