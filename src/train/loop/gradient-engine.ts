/**
 * Where gradients are computed: in this thread, or data-parallel in worker threads. Either way the result
 * lands in the main model's `Parameter.grad` arrays as the gradient of the batch's SUMMED cross-entropy
 * (the trainer divides by the token count), so the optimizer never knows which engine ran.
 *
 * Workers each hold a model whose weights are views of the main thread's shared memory and a gradient
 * buffer of their own. A step's examples are cut into contiguous runs, one per worker; the main thread
 * then adds the workers' gradients in worker order. Results are deterministic for a given worker count.
 */
import { Worker } from "node:worker_threads";
import type { Parameter } from "../autograd/parameter.js";
import { type DataDescriptor, type ExampleSource, openExamples } from "../data/example-source.js";
import type { TrainableModel } from "../trainable-model.js";
import type { ModelSetup } from "./model-setup.js";

export interface LossSum {
  readonly sum: number;
  readonly tokens: number;
}

export interface GradientEngine {
  /** Zeroes the main gradients, then fills them with d(Σ CE)/dθ over the training examples `indices`. */
  computeGradients(indices: readonly number[], dropoutSeed: number): Promise<LossSum>;
  /** Σ CE over validation examples `indices`, without gradients. */
  evaluate(indices: readonly number[]): Promise<LossSum>;
  close(): Promise<void>;
}

export interface EngineData {
  readonly train: DataDescriptor;
  readonly validation: DataDescriptor | null;
  /** Sequences per batched forward pass. */
  readonly microBatch: number;
}

export class InProcessEngine implements GradientEngine {
  private readonly train: ExampleSource;
  private readonly validation: ExampleSource | null;

  constructor(private readonly model: TrainableModel, private readonly data: EngineData) {
    this.train = openExamples(data.train);
    this.validation = data.validation ? openExamples(data.validation) : null;
  }

  computeGradients(indices: readonly number[], dropoutSeed: number): Promise<LossSum> {
    this.model.zeroGradients();
    this.model.backend.training = true;
    const examples = indices.map((i) => this.train.example(i));
    return Promise.resolve(this.model.accumulateGradients(examples, 1, dropoutSeed, this.data.microBatch));
  }

  evaluate(indices: readonly number[]): Promise<LossSum> {
    if (!this.validation) throw new Error("no validation data");
    const examples = indices.map((i) => this.validation!.example(i));
    return Promise.resolve(this.model.evaluate(examples, this.data.microBatch));
  }

  close(): Promise<void> {
    this.train.close();
    this.validation?.close();
    return Promise.resolve();
  }
}

/** Message from the main thread to a training worker. */
export type WorkerRequest =
  | { readonly kind: "gradients"; readonly indices: readonly number[]; readonly dropoutSeed: number }
  | { readonly kind: "evaluate"; readonly indices: readonly number[] };

export interface WorkerInit {
  readonly setup: ModelSetup;
  readonly data: EngineData;
  /** Gradient buffer of this worker: trainable parameters in `gradLayout` order. */
  readonly gradBuffer: SharedArrayBuffer;
  readonly gradLayout: readonly { readonly name: string; readonly offset: number; readonly size: number }[];
}

export class WorkerPoolEngine implements GradientEngine {
  private readonly workers: Worker[] = [];
  private readonly gradViews: Float32Array[][] = [];
  private readonly trainable: Parameter[];

  constructor(model: TrainableModel, setup: ModelSetup, data: EngineData, numWorkers: number) {
    this.trainable = model.parameters.filter((p) => p.trainable);
    let offset = 0;
    const gradLayout = this.trainable.map((p) => {
      const entry = { name: p.name, offset, size: p.size };
      offset += p.size;
      return entry;
    });
    for (let w = 0; w < numWorkers; w++) {
      const gradBuffer = new SharedArrayBuffer(offset * 4);
      const init: WorkerInit = { setup, data, gradBuffer, gradLayout };
      const worker = new Worker(new URL("./train-worker.js", import.meta.url), { workerData: init });
      this.workers.push(worker);
      this.gradViews.push(gradLayout.map((g) => new Float32Array(gradBuffer, g.offset * 4, g.size)));
    }
  }

  async computeGradients(indices: readonly number[], dropoutSeed: number): Promise<LossSum> {
    const parts = this.split(indices);
    const results = await Promise.all(parts.map((part, w) =>
      part.length === 0 ? Promise.resolve({ sum: 0, tokens: 0 }) : this.ask(w, { kind: "gradients", indices: part, dropoutSeed: (dropoutSeed + w * 7919) >>> 0 })));
    this.trainable.forEach((p, i) => {
      const g = p.gradBuffer();
      g.fill(0);
      parts.forEach((part, w) => {
        if (part.length === 0) return;
        const src = this.gradViews[w]![i]!;
        for (let j = 0; j < g.length; j++) g[j] += src[j]!;
      });
    });
    return total(results);
  }

  async evaluate(indices: readonly number[]): Promise<LossSum> {
    const parts = this.split(indices);
    return total(await Promise.all(parts.map((part, w) => (part.length === 0 ? Promise.resolve({ sum: 0, tokens: 0 }) : this.ask(w, { kind: "evaluate", indices: part })))));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Contiguous runs, as even as possible, one per worker. */
  private split(indices: readonly number[]): number[][] {
    const n = this.workers.length;
    return Array.from({ length: n }, (_, w) => indices.slice(Math.floor((w * indices.length) / n), Math.floor(((w + 1) * indices.length) / n)));
  }

  private ask(w: number, request: WorkerRequest): Promise<LossSum> {
    const worker = this.workers[w]!;
    return new Promise((resolve, reject) => {
      const onMessage = (reply: LossSum | { error: string }): void => {
        cleanup();
        if ("error" in reply) reject(new Error(`training worker ${w}: ${reply.error}`));
        else resolve(reply);
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(e);
      };
      const cleanup = (): void => {
        worker.off("message", onMessage);
        worker.off("error", onError);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.postMessage(request);
    });
  }
}

function total(results: readonly LossSum[]): LossSum {
  return results.reduce((a, b) => ({ sum: a.sum + b.sum, tokens: a.tokens + b.tokens }), { sum: 0, tokens: 0 });
}
