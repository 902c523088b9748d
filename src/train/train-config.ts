/**
 * The training config file (`gemma4 train --config FILE`): a JSON object naming the model to build, its
 * tokenizer, the data, and the recipe. Paths are relative to the config file. Every field has a default
 * except `model`; unknown fields are errors, so a typo cannot silently fall back to a default.
 *
 *   {
 *     "model": "config.json",            model config (train from scratch) or a model folder (continue)
 *     "tokenizer": ".",                   folder with tokenizer.json (copied into saved models)
 *     "data": { "train": "…", "validation": "…" },   .tokens, .txt or .jsonl(.gz)
 *     "validationFraction": 0.05,         held out of the train data when no validation file is given
 *     "sequenceLength": 256, "batchSize": 16, "microBatch": 4, "steps": 1500,
 *     "learningRate": 3e-3, "warmupSteps": 100, "minLearningRateRatio": 0.1,
 *     "weightDecay": 0.1, "beta1": 0.9, "beta2": 0.95, "gradientClip": 1.0,
 *     "evalEvery": 250, "evalSequences": 64, "checkpointEvery": 250,
 *     "seed": 1, "workers": 2, "initializerRange": 0.02, "saveDtype": "f32", "recompute": false
 *   }
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { BadFileError, BadPathError } from "../errors.js";
import { JsonFields } from "../formats/json-fields.js";

export interface TrainConfig {
  readonly path: string;
  /** A config.json to initialise randomly, or a model folder to start from. */
  readonly model: string;
  readonly modelIsFolder: boolean;
  readonly tokenizer: string | null;
  readonly trainData: string | null;
  readonly validationData: string | null;
  readonly validationFraction: number;
  readonly sequenceLength: number;
  readonly batchSize: number;
  readonly microBatch: number;
  readonly steps: number;
  readonly learningRate: number;
  readonly warmupSteps: number;
  readonly minLearningRateRatio: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly gradientClip: number;
  readonly evalEvery: number;
  readonly evalSequences: number;
  readonly checkpointEvery: number;
  readonly seed: number;
  readonly workers: number;
  readonly initializerRange: number;
  readonly saveDtype: "f32" | "bf16";
  readonly recompute: boolean;
}

const KNOWN = new Set([
  "model", "tokenizer", "data", "validationFraction", "sequenceLength", "batchSize", "microBatch", "steps", "learningRate", "warmupSteps",
  "minLearningRateRatio", "weightDecay", "beta1", "beta2", "gradientClip", "evalEvery", "evalSequences", "checkpointEvery", "seed", "workers",
  "initializerRange", "saveDtype", "recompute", "description",
]);

export function readTrainConfig(path: string): TrainConfig {
  if (!existsSync(path)) throw new BadPathError(path, "no such training config");
  const f = JsonFields.parse(path, readFileSync(path, "utf8"));
  for (const key of f.keys()) if (!KNOWN.has(key)) f.fail(key, `is not a training config field (known: ${[...KNOWN].join(", ")})`);
  const base = dirname(resolve(path));
  const rel = (p: string): string => resolve(base, p);
  const model = rel(f.string("model"));
  if (!existsSync(model)) throw new BadPathError(model, "(the config's model) does not exist");
  const modelIsFolder = statSync(model).isDirectory();
  const data = f.object("data");
  const tokenizerField = f.optionalString("tokenizer");
  const tokenizer = tokenizerField !== null ? rel(tokenizerField) : modelIsFolder ? model : dirname(model);
  const dtypeName = f.optionalString("saveDtype") ?? "f32";
  const saveDtype = dtypeName === "f32" || dtypeName === "bf16" ? dtypeName : f.fail("saveDtype", `must be "f32" or "bf16", not ${JSON.stringify(dtypeName)}`);
  const positive = (key: string, fallback: number): number => {
    const v = f.number(key, fallback);
    if (!(v > 0)) f.fail(key, "must be positive");
    return v;
  };
  const config: TrainConfig = {
    path,
    model,
    modelIsFolder,
    tokenizer: existsSync(join(tokenizer, "tokenizer.json")) ? tokenizer : null,
    trainData: data?.optionalString("train") ? rel(data.string("train")) : null,
    validationData: data?.optionalString("validation") ? rel(data.string("validation")) : null,
    validationFraction: f.number("validationFraction", 0.05),
    sequenceLength: f.int("sequenceLength", 256),
    batchSize: f.int("batchSize", 16),
    microBatch: f.int("microBatch", 4),
    steps: f.int("steps", 1000),
    learningRate: positive("learningRate", 3e-3),
    warmupSteps: f.int("warmupSteps", 100, true),
    minLearningRateRatio: f.number("minLearningRateRatio", 0.1),
    weightDecay: f.number("weightDecay", 0.1),
    beta1: f.number("beta1", 0.9),
    beta2: f.number("beta2", 0.95),
    gradientClip: f.number("gradientClip", 1),
    evalEvery: f.int("evalEvery", 250, true),
    evalSequences: f.int("evalSequences", 64),
    checkpointEvery: f.int("checkpointEvery", 250, true),
    seed: f.int("seed", 1, true),
    workers: f.int("workers", 2, true),
    initializerRange: positive("initializerRange", 0.02),
    saveDtype,
    recompute: f.bool("recompute", false),
  };
  if (!(config.validationFraction >= 0 && config.validationFraction < 1)) f.fail("validationFraction", "must be in [0, 1)");
  if (config.microBatch > config.batchSize) f.fail("microBatch", `(${config.microBatch}) exceeds batchSize (${config.batchSize})`);
  if (!modelIsFolder && !model.endsWith(".json")) throw new BadFileError(path, `model must be a config.json or a model folder, not ${model}`);
  return config;
}
