/** `loadModel(dir)`: a Hugging Face model folder → a ready `Model` on the chosen backend. */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { createBackend, createDefaultBackend } from "../backends/create-backend.js";
import type { KvDtype } from "../backends/cpu/cpu-backend.js";
import type { Backend, QuantDtype } from "../backends/ops.js";
import { BadPathError } from "../errors.js";
import { readHfConfig } from "../formats/hf-config.js";
import { SafetensorsCheckpoint } from "../formats/safetensors-checkpoint.js";
import { GemmaDecoder } from "../model/decoder.js";
import { describeLayout, listWeights, loadModelWeights, type LoadProgress } from "../model/model-weights.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { Model, type SessionLimits } from "./model.js";

export interface LoadModelOptions extends SessionLimits {
  /** A backend name ("reference", …) or an instance. */
  readonly backend?: string | Backend;
  readonly onProgress?: (progress: LoadProgress) => void;
  /** Threads of the cpu backend (default: all cores). */
  readonly threads?: number;
  /** KV cache element type of the cpu backend (default "f32", exact against float32 transformers; "f16" halves KV memory). */
  readonly kvDtype?: KvDtype;
  /** Quantize float weights to this format while loading (e.g. "q8_0", "q4_k"). */
  readonly quant?: QuantDtype;
}

export const DEFAULT_PREFILL_CHUNK = 512;

export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<Model> {
  if (!existsSync(dir)) throw new BadPathError(dir, "no such file or folder");
  if (!statSync(dir).isDirectory()) throw new BadPathError(dir, "is not a model folder (expected a folder with config.json and *.safetensors)");
  const { config, generationDefaults } = readHfConfig(dir);
  const cpuOptions = {
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.kvDtype !== undefined ? { kvDtype: options.kvDtype } : {}),
  };
  // No backend named: the fast CPU backend, or the reference one where no kernels were built.
  const backend = typeof options.backend === "object" ? options.backend
    : options.backend === undefined ? await createDefaultBackend(cpuOptions) : await createBackend(options.backend, cpuOptions);
  const checkpoint = SafetensorsCheckpoint.open(dir);
  try {
    const layout = describeLayout(config, checkpoint);
    const weights = loadModelWeights(config, checkpoint, backend, options.onProgress, options.quant ? { quant: options.quant } : {});
    const decoder = new GemmaDecoder(config, weights, backend);
    const limits = {
      maxContext: options.maxContext ?? config.maxPositions,
      prefillChunk: options.prefillChunk ?? DEFAULT_PREFILL_CHUNK,
    };
    const info = { source: dir, fileBytes: checkpoint.fileBytes, skippedTensors: layout.skippedMultimodal };
    const tokenizer = existsSync(join(dir, "tokenizer.json")) ? await Tokenizer.load(dir) : null;
    return new Model(decoder, info, limits, tokenizer, generationDefaults, () => {
      for (const w of listWeights(weights)) backend.release(w);
    });
  } finally {
    checkpoint.close();
  }
}
