/**
 * LoRA adapters in PEFT's on-disk format: `adapter_config.json` (peft_type LORA, r, lora_alpha,
 * lora_dropout, target_modules, …) and `adapter_model.safetensors` with tensors named
 * `base_model.model.<module>.lora_A.weight` [r, in] and `.lora_B.weight` [out, r]. Files written here load
 * in PEFT (`PeftModel.from_pretrained`), and PEFT's adapters load here. Features this reader cannot honour
 * (DoRA, per-module rank/alpha patterns, fan_in_fan_out, biases) are refused with a typed error rather than
 * silently ignored.
 */
import { existsSync, readFileSync } from "node:fs";
import { makeOutputFolder, writeJsonAtomic } from "../../formats/atomic-write.js";
import { join } from "node:path";
import { BadFileError, BadPathError, UnsupportedError } from "../../errors.js";
import { SafetensorsFile, writeSafetensors } from "../../formats/safetensors.js";
import { toFloat32 } from "../../formats/dtype.js";
import type { LoraWeight } from "../autograd/parameter.js";
import type { LoraSpec } from "./lora-spec.js";

export const ADAPTER_CONFIG = "adapter_config.json";
export const ADAPTER_WEIGHTS = "adapter_model.safetensors";

export interface PeftAdapter {
  readonly spec: LoraSpec;
  /** lora_A / lora_B tensors by PEFT name, as float32. */
  readonly tensors: ReadonlyMap<string, Float32Array>;
  readonly baseModel: string | null;
}

export function readPeftAdapter(dir: string): PeftAdapter {
  const configPath = join(dir, ADAPTER_CONFIG);
  const weightsPath = join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(configPath)) throw new BadPathError(dir, `no ${ADAPTER_CONFIG}: not a PEFT adapter folder`);
  if (!existsSync(weightsPath)) throw new BadPathError(dir, `no ${ADAPTER_WEIGHTS} (adapter_model.bin is not supported)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, "utf8"));
  } catch (e) {
    throw new BadFileError(configPath, `is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new BadFileError(configPath, "is not a JSON object");
  const c = raw as Record<string, unknown>;
  const field = <T>(name: string, check: (v: unknown) => v is T, fallback?: T): T => {
    const v = c[name];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new BadFileError(configPath, `${name} is missing`);
    }
    if (!check(v)) throw new BadFileError(configPath, `${name} has the wrong type (${JSON.stringify(v)})`);
    return v;
  };
  const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  const isBool = (v: unknown): v is boolean => typeof v === "boolean";
  const isString = (v: unknown): v is string => typeof v === "string";
  const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
  const isEmptyObject = (v: unknown): v is Record<string, never> => v !== null && typeof v === "object" && Object.keys(v).length === 0;

  const peftType = field("peft_type", isString);
  if (peftType !== "LORA") throw new UnsupportedError(`${configPath}: peft_type ${peftType} is not supported (only LORA)`);
  if (field("use_dora", isBool, false)) throw new UnsupportedError(`${configPath}: DoRA adapters are not supported`);
  if (field("fan_in_fan_out", isBool, false)) throw new UnsupportedError(`${configPath}: fan_in_fan_out adapters are not supported`);
  const bias = field("bias", isString, "none");
  if (bias !== "none") throw new UnsupportedError(`${configPath}: bias ${JSON.stringify(bias)} is not supported (only "none")`);
  for (const name of ["rank_pattern", "alpha_pattern"]) {
    if (c[name] !== undefined && c[name] !== null && !isEmptyObject(c[name])) throw new UnsupportedError(`${configPath}: ${name} (per-module rank/alpha) is not supported`);
  }
  if (c["modules_to_save"] !== undefined && c["modules_to_save"] !== null) throw new UnsupportedError(`${configPath}: modules_to_save is not supported`);
  const targets = c["target_modules"];
  if (typeof targets === "string") throw new UnsupportedError(`${configPath}: target_modules as a regular expression is not supported; list the module names`);
  const spec: LoraSpec = {
    rank: field("r", isNumber),
    alpha: field("lora_alpha", isNumber),
    dropout: field("lora_dropout", isNumber, 0),
    targetModules: field("target_modules", isStringList),
    useRsLora: field("use_rslora", isBool, false),
  };
  const file = SafetensorsFile.open(weightsPath);
  const tensors = new Map<string, Float32Array>();
  try {
    for (const [name, info] of file.tensors) {
      if (!/\.lora_[AB]\.weight$/.test(name)) throw new UnsupportedError(`${weightsPath}: tensor ${name} is not a LoRA A/B matrix`);
      if (info.dtype !== "f32" && info.dtype !== "f16" && info.dtype !== "bf16") throw new BadFileError(weightsPath, `tensor ${name} has dtype ${info.dtype}`);
      const t = file.read(name);
      tensors.set(name, toFloat32(t.dtype, t.data));
    }
  } finally {
    file.close();
  }
  return { spec, tensors, baseModel: typeof c["base_model_name_or_path"] === "string" ? c["base_model_name_or_path"] : null };
}

/** Writes the adapter (temp names, then renames), float32 tensors in module order. */
export function writePeftAdapter(dir: string, spec: LoraSpec, weights: ReadonlyMap<string, LoraWeight>, baseModel: string): void {
  makeOutputFolder(dir);
  const tensors = [...weights.values()].flatMap((w) => [w.loraA, w.loraB]).map((p) => ({ name: p.name, dtype: "f32" as const, shape: p.shape, data: p.data }));
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  writeSafetensors(join(dir, ADAPTER_WEIGHTS), tensors, { format: "pt" });
  const config = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: spec.alpha,
    lora_dropout: spec.dropout,
    modules_to_save: null,
    peft_type: "LORA",
    r: spec.rank,
    rank_pattern: {},
    revision: null,
    target_modules: [...spec.targetModules],
    task_type: "CAUSAL_LM",
    use_dora: false,
    use_rslora: spec.useRsLora,
  };
  const path = join(dir, ADAPTER_CONFIG);
  writeJsonAtomic(path, config);
}
