/**
 * One training run, from scratch, from a checkpoint, or resumed: builds the model in shared memory, picks
 * the gradient engine (this thread or worker threads), and loops: batch → gradients → clip → AdamW at the
 * scheduled rate; validation every `evalEvery` steps; a resumable checkpoint every `checkpointEvery` steps
 * (model or adapter files + `trainer-state.json` + `optimizer.safetensors`). At the end it writes the
 * model (an HF folder, or a PEFT adapter for LoRA), `training-log.json` and `loss-curve.svg`.
 *
 * Exact resume: data order is a function of (seed, step) (data-order.ts), dropout masks of (seed, step,
 * position), and the optimizer state is saved whole, so a resumed run repeats the uninterrupted run's
 * losses bit for bit (with the same worker count).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BadFileError, BadPathError, BadRequestError } from "../../errors.js";
import { SafetensorsCheckpoint } from "../../formats/safetensors-checkpoint.js";
import { SafetensorsFile, writeSafetensors } from "../../formats/safetensors.js";
import type { TensorSource } from "../../formats/tensor-source.js";
import type { Parameter } from "../autograd/parameter.js";
import { openExamples } from "../data/example-source.js";
import type { LoraSpec } from "../lora/lora-spec.js";
import { writePeftAdapter } from "../lora/peft-adapter.js";
import { AdamW, type AdamWSettings } from "../optim/adamw.js";
import { clipGradients } from "../optim/clip-gradients.js";
import { learningRate, type LrSchedule } from "../optim/lr-schedule.js";
import { makeOutputFolder, writeFileAtomic } from "../../formats/atomic-write.js";
import { saveModelFolder } from "../save-model-folder.js";
import { DataOrder } from "./data-order.js";
import { type EngineData, type GradientEngine, InProcessEngine, WorkerPoolEngine } from "./gradient-engine.js";
import { lossPlotSvg, type ReferenceLine } from "./loss-plot.js";
import type { TrainableModel } from "../trainable-model.js";
import { createModelSetup, modelFromSetup, type ModelSetup } from "./model-setup.js";
import { formatDuration, type ProgressLine, progressLine } from "./progress-line.js";
import { emptyHistory, type TrainingHistory } from "./training-history.js";

export interface TrainerSettings {
  readonly steps: number;
  /** Sequences per optimizer step (gradient accumulation is implicit: they run microBatch at a time). */
  readonly batchSize: number;
  readonly microBatch: number;
  readonly schedule: LrSchedule;
  readonly adamw: AdamWSettings;
  /** Global gradient-norm limit (0 = no clipping). */
  readonly gradClip: number;
  /** Validate every N steps (0 = only at the end). */
  readonly evalEvery: number;
  /** Validation sequences used for the periodic checks (the final check uses all of them). */
  readonly evalSequences: number;
  /** Write a resumable checkpoint every N steps (0 = never). */
  readonly checkpointEvery: number;
  readonly seed: number;
  /** Recompute each layer's activations during backward (long sequences). */
  readonly recompute: boolean;
}

export interface RunSpec {
  readonly outDir: string;
  /** config.json text of the model being trained. */
  readonly configJson: string;
  /** The starting weights (a checkpoint or a random initialisation). */
  readonly openSource: () => TensorSource;
  /** Tokenizer/generation files to copy next to saved models. */
  readonly companionsFrom: string | null;
  /** LoRA fine-tuning: only the adapter trains and is saved. `baseModel` is recorded in adapter_config.json. */
  readonly lora: { readonly spec: LoraSpec; readonly initial?: ReadonlyMap<string, Float32Array>; readonly baseModel: string } | null;
  readonly data: EngineData;
  readonly settings: TrainerSettings;
  /** Worker threads (0 = compute in this thread). */
  readonly workers: number;
  readonly saveDtype: "f32" | "bf16";
  /** A checkpoint folder written by an earlier run with the same settings. */
  readonly resumeFrom: string | null;
  /** Horizontal reference lines for the plot (e.g. baselines). */
  readonly references?: readonly ReferenceLine[];
  readonly title?: string;
  readonly progress?: ProgressLine;
  /** Stop after this step even though the schedule runs to `steps` (tests of resuming). */
  readonly stopAfter?: number;
}

export interface RunResult {
  readonly history: TrainingHistory;
  /** Mean validation cross-entropy over the whole validation set at the end (null without validation data). */
  readonly finalValidationLoss: number | null;
  readonly finalValidationTokens: number;
  readonly wallSeconds: number;
  readonly tokensSeen: number;
  /** The trained model as it is in memory (weights shared with the workers, which are stopped). */
  readonly model: TrainableModel;
}

const STATE_FILE = "trainer-state.json";
const OPTIMIZER_FILE = "optimizer.safetensors";

interface TrainerState {
  readonly step: number;
  readonly history: TrainingHistory;
  readonly elapsed: number;
  readonly workers: number;
}

export async function runTraining(spec: RunSpec): Promise<RunResult> {
  const { settings } = spec;
  const progress = spec.progress ?? progressLine();
  // The data first: a run with nothing to train on is the user's to fix, before a model is set up.
  const trainExamples = openExamples(spec.data.train);
  const numTrain = trainExamples.numExamples;
  trainExamples.close();
  if (numTrain < 1) {
    const held = spec.data.train.subset ? " once the validation share is held out (or a smaller --validation-fraction)" : "";
    throw new BadRequestError(`${spec.data.train.path}: no training examples: no sequence of ${spec.data.train.sequenceLength + 1} tokens is left${held}; give more data or a shorter --sequence-length`, "data");
  }
  makeOutputFolder(spec.outDir);
  const resumed = spec.resumeFrom ? readState(spec.resumeFrom) : null;
  if (resumed) checkCheckpointKind(spec.resumeFrom!, spec.lora !== null);
  const source = resumed && !spec.lora ? checkpointSource(spec.resumeFrom!) : spec.openSource();
  let setup: ModelSetup;
  try {
    const loraInitial = resumed && spec.lora ? readAdapterTensors(spec.resumeFrom!) : spec.lora?.initial;
    setup = createModelSetup(spec.configJson, source, {
      recompute: settings.recompute,
      ...(spec.lora ? { lora: { spec: spec.lora.spec, seed: settings.seed, ...(loraInitial ? { initial: loraInitial } : {}) } } : {}),
    });
  } finally {
    source.close();
  }
  const { model, lora } = modelFromSetup(setup);
  const trainable = model.parameters.filter((p) => p.trainable);
  const optimizer = new AdamW(trainable, settings.adamw);
  if (resumed) optimizer.loadState(readOptimizer(spec.resumeFrom!, trainable));
  const engine: GradientEngine = spec.workers > 0 ? new WorkerPoolEngine(model, setup, spec.data, spec.workers) : new InProcessEngine(model, spec.data);
  const numValidation = spec.data.validation ? (() => { const v = openExamples(spec.data.validation); const n = v.numExamples; v.close(); return n; })() : 0;
  const order = new DataOrder(numTrain, settings.batchSize, settings.seed);
  const history: TrainingHistory = resumed ? resumed.history : emptyHistory();
  const startStep = resumed ? resumed.step : 0;
  const started = performance.now() / 1000 - (resumed?.elapsed ?? 0);
  const segmentStart = performance.now() / 1000;
  let tokensThisSegment = 0;
  const evalIndices = (count: number): number[] => Array.from({ length: Math.min(count, numValidation) }, (_, i) => i);

  const validate = async (step: number, count: number): Promise<{ loss: number; tokens: number }> => {
    const { sum, tokens } = await engine.evaluate(evalIndices(count));
    const loss = sum / Math.max(1, tokens);
    history.evals.push({ step, loss, tokens });
    progress.message(`step ${step}: validation loss ${loss.toFixed(4)} (perplexity ${Math.exp(loss).toFixed(2)}) over ${tokens} tokens`);
    return { loss, tokens };
  };

  const saveModel = (dir: string): void => {
    if (lora) writePeftAdapter(dir, lora.spec, lora.weights, spec.lora!.baseModel);
    else saveModelFolder(dir, { config: JSON.parse(spec.configJson) as Record<string, unknown>, tensors: sharedTensors(setup), dtype: spec.saveDtype, ...(spec.companionsFrom ? { companionsFrom: spec.companionsFrom } : {}) });
  };

  const saveCheckpoint = (step: number): void => {
    const dir = join(spec.outDir, "checkpoints", `step-${step}`);
    // Resuming from a checkpoint must see its weights at full precision whatever the final dtype.
    if (lora) writePeftAdapter(dir, lora.spec, lora.weights, spec.lora!.baseModel);
    else saveModelFolder(dir, { config: JSON.parse(spec.configJson) as Record<string, unknown>, tensors: sharedTensors(setup), dtype: "f32", ...(spec.companionsFrom ? { companionsFrom: spec.companionsFrom } : {}) });
    writeOptimizer(dir, optimizer, trainable);
    const state: TrainerState = { step, history, elapsed: performance.now() / 1000 - started, workers: spec.workers };
    writeFileAtomic(join(dir, STATE_FILE), JSON.stringify(state) + "\n");
    progress.message(`checkpoint: ${dir}`);
  };

  try {
    if (resumed && resumed.workers !== spec.workers) progress.message(`note: resuming with ${spec.workers} workers (the checkpoint used ${resumed.workers}); losses will differ in the last digits`);
    const lastStep = Math.min(settings.steps, spec.stopAfter ?? settings.steps);
    // Where the run starts from, so the curve shows how far training moved the held-out loss.
    if (!resumed && settings.evalEvery > 0 && numValidation > 0) await validate(0, settings.evalSequences);
    for (let step = startStep; step < lastStep; step++) {
      const indices = order.batch(step);
      const { sum, tokens } = await engine.computeGradients(indices, (settings.seed * 2654435761 + step) >>> 0);
      const inv = 1 / Math.max(1, tokens);
      for (const p of trainable) if (p.grad) for (let i = 0; i < p.grad.length; i++) p.grad[i]! *= inv;
      const gradNorm = clipGradients(trainable, settings.gradClip);
      const lr = learningRate(settings.schedule, step);
      optimizer.update(lr);
      const loss = sum * inv;
      if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at step ${step + 1}; lower the learning rate`);
      tokensThisSegment += tokens;
      const now = performance.now() / 1000;
      history.steps.push({ step: step + 1, loss, learningRate: lr, gradNorm, tokens, elapsed: now - started });
      const rate = tokensThisSegment / Math.max(1e-9, now - segmentStart);
      const stepsLeft = settings.steps - (step + 1);
      progress.update(step + 1, settings.steps, loss, lr, rate, (stepsLeft * tokens) / Math.max(1e-9, rate));
      if (settings.evalEvery > 0 && numValidation > 0 && (step + 1) % settings.evalEvery === 0 && step + 1 < settings.steps) await validate(step + 1, settings.evalSequences);
      if (settings.checkpointEvery > 0 && (step + 1) % settings.checkpointEvery === 0 && step + 1 < settings.steps) saveCheckpoint(step + 1);
    }
    progress.done();
    const finished = lastStep === settings.steps;
    let final: { loss: number; tokens: number } | null = null;
    if (finished && numValidation > 0) final = await validate(lastStep, numValidation);
    if (!finished) saveCheckpoint(lastStep);
    saveModel(spec.outDir);
    const wallSeconds = performance.now() / 1000 - started;
    const tokensSeen = history.steps.reduce((n, s) => n + s.tokens, 0);
    writeFileAtomic(join(spec.outDir, "training-log.json"), JSON.stringify({
      settings, workers: spec.workers, wallSeconds, tokensSeen, finalValidationLoss: final?.loss ?? null, finalValidationTokens: final?.tokens ?? 0, history,
    }) + "\n");
    writeFileAtomic(join(spec.outDir, "loss-curve.svg"), lossPlotSvg(history, spec.title ?? "training loss", spec.references ?? []));
    progress.message(`done: ${history.steps.length} steps, ${tokensSeen} tokens in ${formatDuration(wallSeconds)}${final ? `; validation loss ${final.loss.toFixed(4)}, perplexity ${Math.exp(final.loss).toFixed(2)}` : ""}`);
    return { history, finalValidationLoss: final?.loss ?? null, finalValidationTokens: final?.tokens ?? 0, wallSeconds, tokensSeen, model };
  } finally {
    await engine.close();
  }
}

function sharedTensors(setup: ModelSetup): { name: string; shape: readonly number[]; data: Float32Array }[] {
  return setup.tensors.map((slot) => ({ name: slot.name, shape: slot.shape, data: new Float32Array(setup.buffer, slot.offset * 4, slot.shape.reduce((a, b) => a * b, 1)) }));
}

function readState(dir: string): TrainerState {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) throw new BadPathError(dir, `no ${STATE_FILE}: not a training checkpoint`);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as TrainerState;
  } catch (e) {
    throw new BadFileError(path, `is not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** A LoRA run resumes from an adapter checkpoint, a full run from a model one: say which flag a mismatch needs. */
function checkCheckpointKind(dir: string, lora: boolean): void {
  const hasAdapter = existsSync(join(dir, "adapter_model.safetensors"));
  const hasModel = existsSync(join(dir, "model.safetensors")) || existsSync(join(dir, "model.safetensors.index.json"));
  if (lora && !hasAdapter && hasModel) throw new BadPathError(dir, "is a checkpoint of a full fine-tune (model.safetensors, no adapter): resume it with --full");
  if (!lora && hasAdapter && !hasModel) throw new BadPathError(dir, "is a checkpoint of a LoRA fine-tune (adapter_model.safetensors): resume it without --full");
}

function checkpointSource(dir: string): TensorSource {
  return SafetensorsCheckpoint.open(dir);
}

function readAdapterTensors(dir: string): Map<string, Float32Array> {
  const file = SafetensorsFile.open(join(dir, "adapter_model.safetensors"));
  try {
    return new Map([...file.tensors.keys()].map((name) => [name, file.read(name).data as Float32Array]));
  } finally {
    file.close();
  }
}

function writeOptimizer(dir: string, optimizer: AdamW, params: readonly Parameter[]): void {
  const state = optimizer.state();
  const tensors = params.flatMap((p) => [
    { name: `exp_avg.${p.name}`, dtype: "f32" as const, shape: p.shape, data: state.firstMoment.get(p.name)! },
    { name: `exp_avg_sq.${p.name}`, dtype: "f32" as const, shape: p.shape, data: state.secondMoment.get(p.name)! },
  ]);
  writeSafetensors(join(dir, OPTIMIZER_FILE), tensors, { step: String(state.step) });
}

function readOptimizer(dir: string, params: readonly Parameter[]): { step: number; firstMoment: Map<string, Float32Array>; secondMoment: Map<string, Float32Array> } {
  const path = join(dir, OPTIMIZER_FILE);
  const file = SafetensorsFile.open(path);
  try {
    const step = Number(file.metadata["step"]);
    if (!Number.isInteger(step)) throw new BadFileError(path, "has no step in its metadata");
    const firstMoment = new Map<string, Float32Array>();
    const secondMoment = new Map<string, Float32Array>();
    for (const p of params) {
      if (!file.tensors.has(`exp_avg.${p.name}`)) throw new BadFileError(path, `has no optimizer state for ${p.name} (was it written by a different run?)`);
      firstMoment.set(p.name, file.read(`exp_avg.${p.name}`).data as Float32Array);
      secondMoment.set(p.name, file.read(`exp_avg_sq.${p.name}`).data as Float32Array);
    }
    return { step, firstMoment, secondMoment };
  } finally {
    file.close();
  }
}

/** Removes a run's checkpoints folder (after a successful run, when asked). */
export function removeCheckpoints(outDir: string): void {
  rmSync(join(outDir, "checkpoints"), { recursive: true, force: true });
}
