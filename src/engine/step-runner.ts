/**
 * How a Session's forward steps reach the decoder: directly (one sequence), or through a BatchScheduler
 * that stacks the steps of many sessions into one forward pass.
 */
import type { Backend } from "../backends/ops.js";
import type { GemmaDecoder, LogitsWanted } from "../model/decoder.js";
import type { KvCache } from "../model/kv-cache.js";

export interface StepRequest {
  readonly cache: KvCache;
  readonly ids: Int32Array;
  readonly logits: LogitsWanted;
}

export interface StepRunner {
  /** Runs one step; resolves with its logits (empty when none were wanted). */
  run(step: StepRequest): Promise<Float32Array>;
}

/** Runs each step on its own, immediately. */
export class DirectStepRunner implements StepRunner {
  constructor(private readonly decoder: GemmaDecoder) {}

  async run(step: StepRequest): Promise<Float32Array> {
    const out = this.decoder.forward(step.ids, step.cache, { logits: step.logits });
    return readAndRelease(this.decoder.backend, out, step.logits);
  }
}

export async function readAndRelease(backend: Backend, out: Parameters<Backend["read"]>[0], logits: LogitsWanted): Promise<Float32Array> {
  if (logits === "none") {
    backend.release(out);
    return new Float32Array(0);
  }
  const values = backend.read(out);
  backend.release(out);
  return values;
}
