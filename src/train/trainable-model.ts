/**
 * A model set up for training: the one decoder on the autograd backend, every checkpoint tensor a named
 * float32 `Parameter`. `lossAndGradients` is the primitive every loop here builds on: mean next-token
 * cross-entropy over a batch, and d loss / d parameter keyed by checkpoint names (a tied output head's
 * gradient lands in `embed_tokens`, as it does in PyTorch, because it is the same tensor).
 */
import { existsSync, statSync } from "node:fs";
import { BadPathError, BadRequestError } from "../errors.js";
import { readHfConfig } from "../formats/hf-config.js";
import { SafetensorsCheckpoint } from "../formats/safetensors-checkpoint.js";
import type { TensorSource } from "../formats/tensor-source.js";
import { GemmaDecoder } from "../model/decoder.js";
import { KvCache } from "../model/kv-cache.js";
import type { ModelConfig } from "../model/model-config.js";
import { detectPrefix, loadModelWeights, type ModelWeights } from "../model/model-weights.js";
import { weightSpecs } from "../model/weight-table.js";
import { AutogradBackend, asVariable } from "./autograd/autograd-backend.js";
import { crossEntropyOp, IGNORE_TARGET } from "./autograd/cross-entropy.js";
import { Parameter } from "./autograd/parameter.js";
import { Tape, type Variable } from "./autograd/tape.js";
import { addOp } from "./autograd/elementwise-ops.js";
import { getSlot } from "./weight-slots.js";

/** One training sequence: `inputIds[t]` predicts `targets[t]` (IGNORE_TARGET = no loss at t). */
export interface TrainingExample {
  readonly inputIds: Int32Array;
  readonly targets: Int32Array;
}

export interface LossAndGradients {
  /** Mean cross-entropy over every counted target of the batch. */
  readonly loss: number;
  /** Targets counted. */
  readonly tokens: number;
  /** d loss / d parameter, keyed by checkpoint tensor name (trainable parameters only). */
  readonly gradients: Map<string, Float32Array>;
}

export interface TrainableModelOptions {
  /** Recompute each layer's activations during backward (less memory, ~1.3× the time). */
  readonly recompute?: boolean;
}

/** Next-token example from a token sequence: ids[0..n-2] predict ids[1..n-1]. */
export function nextTokenExample(ids: ArrayLike<number>): TrainingExample {
  if (ids.length < 2) throw new BadRequestError(`a training sequence needs at least 2 tokens, got ${ids.length}`, "ids");
  const all = Int32Array.from(ids);
  return { inputIds: all.subarray(0, all.length - 1), targets: all.slice(1) };
}

export class TrainableModel {
  readonly backend: AutogradBackend;
  readonly decoder: GemmaDecoder;
  private readonly params: Parameter[];
  private readonly byName: Map<string, Parameter>;

  constructor(readonly config: ModelConfig, readonly weights: ModelWeights, backend: AutogradBackend, readonly prefix: string) {
    this.backend = backend;
    this.decoder = new GemmaDecoder(config, weights, backend);
    const params: Parameter[] = [];
    const byName = new Map<string, Parameter>();
    for (const spec of weightSpecs(config)) {
      const w = getSlot(weights, spec.slot);
      if (!(w instanceof Parameter)) throw new Error(`slot ${spec.slot} is not a plain parameter`);
      const name = spec.slot === "lmHead" ? "lm_head.weight" : prefix + spec.name;
      if (w.name === "") w.name = name;
      // transformers registers layer_scalar as a buffer, not a parameter: it is never trained.
      if (spec.name.endsWith("layer_scalar")) w.trainable = false;
      if (!byName.has(w.name)) params.push(w);
      byName.set(name, w);
    }
    this.params = params;
    this.byName = byName;
  }

  /** Every distinct parameter, in weight-table order (LoRA tensors last); `name` is the checkpoint name. */
  get parameters(): readonly Parameter[] {
    return this.params;
  }

  /** Adds a parameter that is not a checkpoint slot (a LoRA A or B), under its own name. */
  addParameter(p: Parameter): void {
    if (this.byName.has(p.name)) throw new Error(`parameter ${p.name} exists already`);
    this.params.push(p);
    this.byName.set(p.name, p);
  }

  /** Loads a Hugging Face model folder for training. */
  static fromFolder(dir: string, options: TrainableModelOptions = {}): TrainableModel {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BadPathError(dir, "is not a model folder");
    const { config } = readHfConfig(dir);
    const checkpoint = SafetensorsCheckpoint.open(dir);
    try {
      return TrainableModel.fromSource(config, checkpoint, options);
    } finally {
      checkpoint.close();
    }
  }

  static fromSource(config: ModelConfig, source: TensorSource, options: TrainableModelOptions = {}): TrainableModel {
    const backend = new AutogradBackend({ recompute: options.recompute ?? false });
    const weights = loadModelWeights(config, source, backend);
    return new TrainableModel(config, weights, backend, detectPrefix(source));
  }

  parameter(name: string): Parameter {
    const p = this.byName.get(name);
    if (!p) throw new BadRequestError(`no parameter named ${JSON.stringify(name)}`, "name");
    return p;
  }

  get trainableParameters(): Parameter[] {
    return this.parameters.filter((p) => p.trainable);
  }

  zeroGradients(): void {
    for (const p of this.parameters) p.zeroGrad();
  }

  /**
   * Runs forward and backward over `examples`, ADDING d(Σ CE / normalizer)/dθ into each parameter's
   * gradient (so several calls accumulate). Sequences go through the decoder `microBatch` at a time as one
   * batched pass (their rows stacked, so each weight is read once per group). Returns the unnormalised
   * Σ CE and the targets counted.
   */
  accumulateGradients(examples: readonly TrainingExample[], normalizer: number, dropoutSeed = 0, microBatch = 1): { sum: number; tokens: number } {
    let sum = 0;
    let tokens = 0;
    this.backend.setGradEnabled(true);
    for (let start = 0; start < examples.length; start += microBatch) {
      const group = examples.slice(start, start + microBatch);
      this.backend.reset((dropoutSeed + Math.imul(start + 1, 0x9e3779b1)) >>> 0);
      const tape = this.backend.currentTape();
      let loss: Variable | null = null;
      this.forwardGroup(group).forEach((logits, i) => {
        const ce = crossEntropyOp(tape, logits, group[i]!.targets, 1 / normalizer);
        loss = loss ? addOp(tape, loss, ce.loss) : ce.loss;
        sum += ce.sum;
        tokens += ce.count;
      });
      this.backend.backward(loss!);
    }
    return { sum, tokens };
  }

  /** Σ CE and count over `examples` without gradients. */
  evaluate(examples: readonly TrainingExample[], microBatch = 1): { sum: number; tokens: number } {
    const training = this.backend.training;
    this.backend.training = false;
    this.backend.setGradEnabled(false);
    try {
      let sum = 0;
      let tokens = 0;
      for (let start = 0; start < examples.length; start += microBatch) {
        const group = examples.slice(start, start + microBatch);
        this.backend.reset();
        this.forwardGroup(group).forEach((logits, i) => {
          const ce = crossEntropyOp(new Tape(), logits, group[i]!.targets, 1);
          sum += ce.sum;
          tokens += ce.count;
        });
      }
      return { sum, tokens };
    } finally {
      this.backend.training = training;
      this.backend.setGradEnabled(true);
    }
  }

  /** Mean loss and fresh gradients for a batch (each sequence a list of token ids, or examples). */
  lossAndGradients(batch: readonly (ArrayLike<number> | TrainingExample)[]): LossAndGradients {
    const examples = batch.map((b) => ("inputIds" in b ? b : nextTokenExample(b)));
    const total = examples.reduce((n, e) => n + countTargets(e.targets), 0);
    if (total === 0) throw new BadRequestError("the batch has no tokens to predict", "ids");
    this.zeroGradients();
    const { sum } = this.accumulateGradients(examples, total);
    const gradients = new Map<string, Float32Array>();
    for (const p of this.parameters) if (p.trainable) gradients.set(p.name, p.grad ? p.grad.slice() : new Float32Array(p.size));
    return { loss: sum / total, tokens: total, gradients };
  }

  /** Logits [T, V] of one sequence (values only; no gradients). */
  logits(ids: Int32Array): Float32Array {
    this.backend.setGradEnabled(false);
    try {
      this.backend.reset();
      return this.forwardAll(ids).data;
    } finally {
      this.backend.setGradEnabled(true);
    }
  }

  private forwardAll(ids: Int32Array): Variable {
    return this.forwardGroup([{ inputIds: ids, targets: ids }])[0]!;
  }

  /** One batched full-sequence pass (each sequence its own single-chunk KV cache): logits per sequence. */
  private forwardGroup(examples: readonly TrainingExample[]): Variable[] {
    const steps = examples.map((e) => ({
      ids: e.inputIds,
      cache: new KvCache(this.backend, this.config, { maxContext: e.inputIds.length, maxChunk: e.inputIds.length }),
      logits: "all" as const,
    }));
    return this.decoder.forwardBatch(steps).map(asVariable);
  }
}

export function countTargets(targets: Int32Array): number {
  let n = 0;
  for (const t of targets) if (t !== IGNORE_TARGET) n++;
  return n;
}
