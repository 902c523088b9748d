/**
 * A model on disk, opened without loading weights: a Hugging Face folder (config.json + safetensors) or a
 * GGUF file. Gives the config, the tensors (by Hugging Face name) and, on demand, the tokenizer.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { BadPathError } from "../errors.js";
import { GgufModel } from "../formats/gguf/gguf-model.js";
import { hfTokenizerConfigFromGguf, hfTokenizerFromGguf } from "../formats/gguf/gguf-tokenizer.js";
import { readHfConfig, type GenerationDefaults } from "../formats/hf-config.js";
import { SafetensorsCheckpoint } from "../formats/safetensors-checkpoint.js";
import type { TensorSource } from "../formats/tensor-source.js";
import type { ModelConfig } from "../model/model-config.js";
import type { ChatTemplateSource } from "../tokenizer/tokenizer-files.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";

export interface OpenedCheckpoint {
  readonly config: ModelConfig;
  readonly generationDefaults: GenerationDefaults;
  readonly source: TensorSource;
  readonly tokenizer: () => Promise<Tokenizer | null>;
}

export function openCheckpoint(path: string): OpenedCheckpoint {
  if (!existsSync(path)) throw new BadPathError(path, "no such file or folder");
  return statSync(path).isDirectory() ? openFolder(path) : openGgufFile(path);
}

function openFolder(dir: string): OpenedCheckpoint {
  const { config, generationDefaults } = readHfConfig(dir);
  return {
    config,
    generationDefaults,
    source: SafetensorsCheckpoint.open(dir),
    tokenizer: async () => (existsSync(join(dir, "tokenizer.json")) ? Tokenizer.load(dir) : null),
  };
}

function openGgufFile(path: string): OpenedCheckpoint {
  if (!/\.gguf$/i.test(path)) throw new BadPathError(path, "is a file, but not a .gguf file (a model is a folder with config.json, or a GGUF file)");
  // Block-quantized tensors stay in their blocks: backends compute on them (or expand what they cannot).
  const gguf = GgufModel.open(path);
  return {
    config: gguf.config,
    generationDefaults: { greedy: true },
    source: gguf,
    tokenizer: async () => {
      const tokenizerJson = hfTokenizerFromGguf(gguf.file.metadata);
      const tokenizerConfig = hfTokenizerConfigFromGguf(gguf.file.metadata);
      if (!tokenizerJson || !tokenizerConfig) return null;
      const chatTemplates = new Map<string, ChatTemplateSource>();
      const template = tokenizerConfig["chat_template"];
      if (typeof template === "string") chatTemplates.set("default", { name: "default", text: template, path: `${path}#tokenizer.chat_template` });
      return Tokenizer.fromFiles({ dir: path, tokenizerJson, tokenizerConfig, chatTemplates });
    },
  };
}
