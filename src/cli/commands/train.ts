/**
 * `gemma4 train --config FILE [--data FILE] [--validation FILE] [--out DIR] [--resume DIR] [--workers N]
 * [--steps N]`: trains a Gemma model from a config (from scratch or from a model folder) and writes it as
 * a Hugging Face model folder, with checkpoints, training-log.json and loss-curve.svg.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { BadRequestError } from "../../errors.js";
import { plural } from "../format.js";
import { parseHfConfig } from "../../formats/hf-config.js";
import { JsonFields } from "../../formats/json-fields.js";
import { SafetensorsCheckpoint } from "../../formats/safetensors-checkpoint.js";
import { prepareTrainingData } from "../../train/data/prepare-training-data.js";
import { loadTextTokenizer } from "../../train/load-text-tokenizer.js";
import type { ReferenceLine } from "../../train/loop/loss-plot.js";
import { type RunSpec, runTraining } from "../../train/loop/training-run.js";
import { randomInitSource } from "../../train/random-init.js";
import { readTrainConfig, type TrainConfig } from "../../train/train-config.js";
import type { DataDescriptor } from "../../train/data/example-source.js";
import { type CliCommand, numberFlag, parseCommandLine, UsageError } from "../command.js";
import { makeOutputFolder } from "../../formats/atomic-write.js";

export const trainCommand: CliCommand = {
  name: "train",
  summary: "train a Gemma model from a config (from scratch or from a checkpoint)",
  usage: [
    "usage: gemma4 train --config FILE [options]",
    "",
    "  --config FILE       training config (JSON; see models/default/train.json)",
    "  --data FILE         training data (.tokens, .txt, .jsonl, .jsonl.gz); overrides the config's",
    "  --validation FILE   held-out data; default: the config's, else a seeded split of --data",
    "  --out DIR           where to write the model, checkpoints and plots (default: ./train-out)",
    "  --resume DIR        continue from a checkpoint folder (OUT/checkpoints/step-N)",
    "  --workers N         worker threads (0 = this thread); default: the config's",
    "  --steps N           override the config's step count",
  ].join("\n"),
  async run(argv) {
    const { values } = parseCommandLine(argv, {
      config: { type: "string" }, data: { type: "string" }, validation: { type: "string" }, out: { type: "string" },
      resume: { type: "string" }, workers: { type: "string" }, steps: { type: "string" },
    }, false);
    if (!values.config) throw new UsageError("--config FILE is required", "config");
    const config = readTrainConfig(values.config);
    const out = resolve(values.out ?? "train-out");
    const workers = numberFlag("workers", values.workers, { min: 0, max: 64, integer: true }) ?? config.workers;
    const steps = numberFlag("steps", values.steps, { min: 1, integer: true }) ?? config.steps;
    const spec = await buildRunSpec(config, { out, workers, steps, data: values.data ?? null, validation: values.validation ?? null, resume: values.resume ?? null });
    process.stderr.write(`training ${spec.title}: ${steps} steps of ${config.batchSize} × ${config.sequenceLength} tokens, ${workers} worker thread(s) → ${out}\n`);
    await runTraining(spec);
  },
};

interface Overrides {
  readonly out: string;
  readonly workers: number;
  readonly steps: number;
  readonly data: string | null;
  readonly validation: string | null;
  readonly resume: string | null;
}

export async function buildRunSpec(config: TrainConfig, o: Overrides): Promise<RunSpec> {
  const configPath = config.modelIsFolder ? join(config.model, "config.json") : config.model;
  const configJson = readFileSync(configPath, "utf8");
  const { config: modelConfig } = parseHfConfig(JsonFields.parse(configPath, configJson), null);
  if (config.sequenceLength > modelConfig.maxPositions) {
    throw new BadRequestError(`${config.path}: sequenceLength ${config.sequenceLength} is more than the model's ${modelConfig.maxPositions} positions (max_position_embeddings in ${configPath})`, "sequenceLength");
  }
  makeOutputFolder(join(o.out, "data"));
  const prepare = async (path: string, name: string): Promise<string> => {
    if (path.endsWith(".tokens")) return path;
    if (!config.tokenizer) throw new UsageError(`${path}: text data needs a tokenizer (set "tokenizer" in ${config.path})`, "data");
    const prepared = await prepareTrainingData(path, join(o.out, "data", `${name}.tokens`), await loadTextTokenizer(config.tokenizer));
    process.stderr.write(`${path}: ${plural(prepared.documents, "document")}, ${plural(prepared.tokens, "token")} (${prepared.trainableTokens} with loss)\n`);
    return prepared.path;
  };
  const trainSource = o.data ?? config.trainData;
  if (!trainSource) throw new UsageError(`no training data: pass --data FILE or set data.train in ${config.path}`, "data");
  const trainPath = await prepare(trainSource, "train");
  const validationSource = o.validation ?? (o.data ? null : config.validationData);
  const L = config.sequenceLength;
  let train: DataDescriptor = { path: trainPath, sequenceLength: L };
  let validation: DataDescriptor | null = null;
  if (validationSource) validation = { path: await prepare(validationSource, "validation"), sequenceLength: L };
  else if (config.validationFraction > 0) {
    const split = { seed: config.seed, validationFraction: config.validationFraction };
    train = { ...train, subset: { ...split, part: "train" } };
    validation = { path: trainPath, sequenceLength: L, subset: { ...split, part: "validation" } };
  }
  const references: ReferenceLine[] = [];
  const baselinesPath = join(dirname(resolve(config.path)), "baselines.json");
  if (existsSync(baselinesPath) && !o.data) {
    const b = JSON.parse(readFileSync(baselinesPath, "utf8")) as { bigram?: { crossEntropy?: number }; unigram?: { crossEntropy?: number } };
    if (typeof b.bigram?.crossEntropy === "number") references.push({ label: "bigram baseline (validation)", value: b.bigram.crossEntropy });
    if (typeof b.unigram?.crossEntropy === "number") references.push({ label: "unigram baseline (validation)", value: b.unigram.crossEntropy });
  }
  return {
    outDir: o.out,
    configJson,
    openSource: () => (config.modelIsFolder ? SafetensorsCheckpoint.open(config.model) : randomInitSource(modelConfig, config.seed, config.initializerRange)),
    companionsFrom: config.tokenizer,
    lora: null,
    data: { train, validation, microBatch: config.microBatch },
    settings: {
      steps: o.steps, batchSize: config.batchSize, microBatch: config.microBatch,
      schedule: { peak: config.learningRate, warmupSteps: config.warmupSteps, totalSteps: o.steps, minRatio: config.minLearningRateRatio },
      adamw: { beta1: config.beta1, beta2: config.beta2, epsilon: 1e-8, weightDecay: config.weightDecay },
      gradClip: config.gradientClip, evalEvery: config.evalEvery, evalSequences: config.evalSequences, checkpointEvery: config.checkpointEvery,
      seed: config.seed, recompute: config.recompute,
    },
    workers: o.workers,
    saveDtype: config.saveDtype,
    resumeFrom: o.resume,
    references,
    title: `${modelConfig.modelType}: ${modelConfig.numLayers} layers × ${modelConfig.hiddenDim}, vocab ${modelConfig.vocabSize}`,
  };
}
