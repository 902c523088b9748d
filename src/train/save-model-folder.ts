/**
 * Writes a trained model as a Hugging Face model folder that our loader and transformers both read:
 * config.json (the training config, dtype set), model.safetensors (every tensor under its checkpoint name,
 * tied heads stored once as transformers does), and the tokenizer / generation files copied from a source
 * folder. Each file goes to a temporary name first and is renamed into place when complete.
 */
import { existsSync } from "node:fs";
import { copyFileAtomic, makeOutputFolder, writeFileAtomic } from "../formats/atomic-write.js";
import { join } from "node:path";
import { fromFloat32 } from "../formats/dtype.js";
import { writeSafetensors, type TensorToWrite } from "../formats/safetensors.js";
import { stringifyHfConfig } from "../formats/hf-config-json.js";

/** Files a model folder may carry besides config and weights; copied when present in the source folder. */
export const COMPANION_FILES = [
  "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "generation_config.json", "tokenizer.model",
] as const;

export interface TensorToSave {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SaveModelOptions {
  /** config.json as written by the source (parsed JSON object); `dtype` is set to the saved dtype. */
  readonly config: Record<string, unknown>;
  readonly tensors: readonly TensorToSave[];
  /** Stored dtype: float32 keeps every trained bit; bf16 halves the size. */
  readonly dtype: "f32" | "bf16";
  /** Folder to copy tokenizer and generation files from. */
  readonly companionsFrom?: string;
  /** Extra safetensors metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export function saveModelFolder(dir: string, options: SaveModelOptions): void {
  makeOutputFolder(dir);
  const tensors: TensorToWrite[] = options.tensors.map((t) => ({
    name: t.name, dtype: options.dtype, shape: t.shape, data: () => fromFloat32(options.dtype, t.data),
  }));
  writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt", ...options.metadata });
  const config = { ...options.config, dtype: options.dtype === "f32" ? "float32" : "bfloat16" };
  writeFileAtomic(join(dir, "config.json"), stringifyHfConfig(config));
  if (options.companionsFrom) {
    for (const name of COMPANION_FILES) {
      const from = join(options.companionsFrom, name);
      if (!existsSync(from)) continue;
      const to = join(dir, name);
      copyFileAtomic(from, to);
    }
  }
}
