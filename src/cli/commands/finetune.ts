/**
 * `gemma4 finetune MODEL --data FILE [--lora-r 8 …]`: LoRA fine-tuning (or full fine-tuning with --full) of
 * a model folder on text or chat data. The adapter is saved in PEFT's format (adapter_config.json +
 * adapter_model.safetensors) in --out; use it with `gemma4 … --lora DIR`, `loadModel(dir, { lora })`,
 * `gemma4 merge`, or PEFT in Python.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { BadRequestError } from "../../errors.js";
import { makeOutputFolder } from "../../formats/atomic-write.js";
import { SafetensorsCheckpoint } from "../../formats/safetensors-checkpoint.js";
import { heldOutCount, type DataDescriptor } from "../../train/data/example-source.js";
import { prepareTrainingData } from "../../train/data/prepare-training-data.js";
import { loadTextTokenizer } from "../../train/load-text-tokenizer.js";
import { DEFAULT_LORA_TARGETS } from "../../train/lora/lora-spec.js";
import { type RunSpec, runTraining } from "../../train/loop/training-run.js";
import { type CliCommand, modelOrDefault, numberFlag, parseCommandLine, UsageError } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { plural } from "../format.js";
import { resolveModelFolder } from "../model-options.js";


export const finetuneCommand: CliCommand = {
  name: "finetune",
  summary: "fine-tune a model with LoRA (PEFT-format adapter) or fully, on text or chat data",
  usage: [
    "usage: gemma4 finetune MODEL --data FILE [options]",
    "",
    "  --data FILE             .jsonl(.gz) with {\"messages\"} (loss on model turns) or {\"text\"}, .txt, or .tokens",
    "  --validation FILE       held-out data (default: a seeded --validation-fraction of --data)",
    "  --validation-fraction F default 0.1",
    "  --lora-r N              LoRA rank (default 8)",
    "  --lora-alpha A          LoRA alpha (default 2·r)",
    "  --lora-dropout P        dropout on the LoRA input path (default 0.05)",
    `  --lora-targets LIST     modules to adapt (default ${DEFAULT_LORA_TARGETS.join(",")})`,
    "  --full                  train every weight instead of an adapter (saves a model folder)",
    "  --steps N               optimizer steps (default 100)",
    "  --lr X                  peak learning rate (default 1e-3 for LoRA, 1e-4 for --full)",
    "  --warmup N              warmup steps (default 10)",
    "  --batch-size N          sequences per step (default 8)",
    "  --micro-batch N         sequences per forward pass (default 4)",
    "  --sequence-length N     tokens per sequence (default 256)",
    "  --eval-every N          validation every N steps (default 25)",
    "  --save-every N          resumable checkpoint every N steps (default 0: none)",
    "  --resume DIR            continue from OUT/checkpoints/step-N",
    "  --workers N             worker threads (default 2; 0 = this thread)",
    "  --seed N                data order, initialisation and dropout seed (default 1)",
    "  --out DIR               output folder (default ./finetune-out)",
  ].join("\n"),
  async run(argv) {
    await runTraining(await finetuneSpec(argv));
  },
};

/** The run `gemma4 finetune ARGV` performs (exported for scripts that inspect the trained model). */
export async function finetuneSpec(argv: readonly string[]): Promise<RunSpec> {
  const { values, positionals } = parseCommandLine(argv, {
    model: { type: "string" }, data: { type: "string" }, validation: { type: "string" }, "validation-fraction": { type: "string" },
    "lora-r": { type: "string" }, "lora-alpha": { type: "string" }, "lora-dropout": { type: "string" }, "lora-targets": { type: "string" },
    full: { type: "boolean" }, steps: { type: "string" }, lr: { type: "string" }, warmup: { type: "string" }, "batch-size": { type: "string" },
    "micro-batch": { type: "string" }, "sequence-length": { type: "string" }, "eval-every": { type: "string" }, "save-every": { type: "string" },
    resume: { type: "string" }, workers: { type: "string" }, seed: { type: "string" }, out: { type: "string" },
  });
  if (!values.data) throw new UsageError("--data FILE is required", "data");
  // Every flag is checked before any work (resolving the model may download it; tokenizing data takes time).
  const rank = numberFlag("lora-r", values["lora-r"], { min: 1, integer: true }) ?? 8;
  const full = values.full === true;
  const steps = numberFlag("steps", values.steps, { min: 1, integer: true }) ?? 100;
  const batchSize = numberFlag("batch-size", values["batch-size"], { min: 1, integer: true }) ?? 8;
  const microFlag = numberFlag("micro-batch", values["micro-batch"], { min: 1, integer: true });
  if (microFlag !== undefined && microFlag > batchSize) throw new UsageError(`--micro-batch (${microFlag}) cannot exceed --batch-size (${batchSize}): a step's sequences are split into micro-batches`, "micro-batch");
  const microBatch = Math.min(batchSize, microFlag ?? 4);
  const L = numberFlag("sequence-length", values["sequence-length"], { min: 2, integer: true }) ?? 256;
  const seed = numberFlag("seed", values.seed, { min: 0, integer: true }) ?? 1;
  const fraction = numberFlag("validation-fraction", values["validation-fraction"], { min: 0, max: 0.9 }) ?? 0.1;
  const alpha = numberFlag("lora-alpha", values["lora-alpha"], { min: 0 }) ?? 2 * rank;
  const dropout = numberFlag("lora-dropout", values["lora-dropout"], { min: 0, max: 0.99 }) ?? 0.05;
  const peak = numberFlag("lr", values.lr, { min: 0 }) ?? (full ? 1e-4 : 1e-3);
  const warmupSteps = numberFlag("warmup", values.warmup, { min: 0, integer: true }) ?? 10;
  const evalEvery = numberFlag("eval-every", values["eval-every"], { min: 0, integer: true }) ?? 25;
  const checkpointEvery = numberFlag("save-every", values["save-every"], { min: 0, integer: true }) ?? 0;
  const workers = numberFlag("workers", values.workers, { min: 0, max: 64, integer: true }) ?? 2;
  const out = resolve(values.out ?? "finetune-out");
  const { dir, config } = await resolveModelFolder(modelOrDefault(positionals, values.model, defaultModelDir), "finetune");
  const configJson = readFileSync(join(dir, "config.json"), "utf8"); // the training run builds its model from the text
  if (L > config.maxPositions) throw new UsageError(`--sequence-length ${L} is more than this model's ${config.maxPositions} positions`, "sequence-length");
  const prepare = async (path: string, name: string): Promise<string> => {
    if (path.endsWith(".tokens")) return path;
    const p = await prepareTrainingData(path, join(out, "data", `${name}.tokens`), await loadTextTokenizer(dir));
    process.stderr.write(`${path}: ${plural(p.documents, "document")}, ${plural(p.tokens, "token")} (${p.trainableTokens} with loss)\n`);
    const sequences = Math.floor((p.tokens - 1) / L);
    const held = name === "train" && !values.validation && fraction > 0 && sequences > 0 ? heldOutCount(sequences, fraction) : 0;
    if (sequences - held < 1) {
      const split = held > 0 ? `, and --validation-fraction ${fraction} holds out ${held}` : "";
      throw new BadRequestError(`${path}: ${plural(p.tokens, "token")} make ${plural(sequences, "sequence")} of ${L + 1} tokens${split}, leaving none for ${name === "train" ? "training" : "validation"}: give more data, a shorter --sequence-length${held > 0 ? " or a smaller --validation-fraction" : ""}`, name === "train" ? "data" : "validation");
    }
    return p.path;
  };
  // An output folder this command creates is removed again if the data turns out unusable.
  const created = !existsSync(out);
  makeOutputFolder(join(out, "data"));
  let train: DataDescriptor;
  let validation: DataDescriptor | null = null;
  try {
    const trainPath = await prepare(values.data, "train");
    train = { path: trainPath, sequenceLength: L };
    if (values.validation) validation = { path: await prepare(values.validation, "validation"), sequenceLength: L };
    else if (fraction > 0) {
      train = { ...train, subset: { seed, validationFraction: fraction, part: "train" } };
      validation = { path: trainPath, sequenceLength: L, subset: { seed, validationFraction: fraction, part: "validation" } };
    }
  } catch (e) {
    if (created) rmSync(out, { recursive: true, force: true });
    throw e;
  }
  const targets = values["lora-targets"]?.split(",").map((s) => s.trim()).filter((s) => s.length > 0) ?? [...DEFAULT_LORA_TARGETS];
  return {
    outDir: out,
    configJson,
    openSource: () => SafetensorsCheckpoint.open(dir),
    companionsFrom: dir,
    lora: full ? null : {
      spec: {
        rank,
        alpha,
        dropout,
        targetModules: targets,
        useRsLora: false,
      },
      baseModel: dir,
    },
    data: { train, validation, microBatch },
    settings: {
      steps, batchSize, microBatch,
      schedule: { peak, warmupSteps, totalSteps: steps, minRatio: 0.1 },
      adamw: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: full ? 0.01 : 0 },
      gradClip: 1, evalEvery, evalSequences: 1 << 30,
      checkpointEvery, seed, recompute: false,
    },
    workers,
    saveDtype: "f32",
    resumeFrom: values.resume ?? null,
    title: `${full ? "full" : `LoRA r ${rank}`} fine-tune of ${config.modelType} (${dir})`,
  };
}
