/**
 * `loadModel(path)`: a Hugging Face model folder or a GGUF file → a ready `Model` on the chosen backend.
 * Both go through the same tensor-source interface and the same weight table.
 */
import { createBackend, createDefaultBackend } from "../backends/create-backend.js";
import type { KvDtype } from "../backends/cpu/cpu-backend.js";
import type { Backend, QuantDtype } from "../backends/ops.js";
import { describeLayout, loadModelWeights, type LoadProgress } from "../model/model-weights.js";
import type { TensorSource } from "../formats/tensor-source.js";
import { LoraMergedSource } from "../train/lora/lora-merged-source.js";
import { readPeftAdapter } from "../train/lora/peft-adapter.js";
import { Model, checkContextLength, type SessionLimits } from "./model.js";
import { openCheckpoint } from "./open-checkpoint.js";

export interface LoadModelOptions extends SessionLimits {
  /** A backend name ("reference", …) or an instance. */
  readonly backend?: string | Backend;
  readonly onProgress?: (progress: LoadProgress) => void;
  /** A PEFT LoRA adapter folder, merged into the weights as they load (adapted weights become float32). */
  readonly lora?: string;
  /** Threads of the cpu backend (default: $GEMMA4_THREADS, else all cores). */
  readonly threads?: number;
  /** KV cache element type of the cpu backend (default "f32", exact against float32 transformers; "f16" halves KV memory). */
  readonly kvDtype?: KvDtype;
  /** Quantize float weights to this format while loading (e.g. "q8_0", "q4_k"). */
  readonly quant?: QuantDtype;
}

export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  const opened = openCheckpoint(path);
  const { config } = opened;
  let source: TensorSource = opened.source;
  try {
    // Checked before any weight is read (and the files closed in finally when it fails).
    if (options.maxContext !== undefined) checkContextLength(options.maxContext, config);
    // A LoRA adapter is merged into the weights as they are read.
    if (options.lora) source = new LoraMergedSource(opened.source, readPeftAdapter(options.lora));
    const cpuOptions = {
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.kvDtype !== undefined ? { kvDtype: options.kvDtype } : {}),
    };
    // No backend named: the fast CPU backend, or the reference one where no kernels were built.
    const backend = typeof options.backend === "object" ? options.backend
      : options.backend === undefined ? await createDefaultBackend(cpuOptions) : await createBackend(options.backend, cpuOptions);
    const layout = describeLayout(config, source);
    const weights = loadModelWeights(config, source, backend, options.onProgress, options.quant ? { quant: options.quant } : {});
    const info = { source: path, fileBytes: source.fileBytes, skippedTensors: layout.skippedMultimodal, ...(options.lora ? { lora: options.lora } : {}) };
    return Model.overWeights({ config, weights, backend, info, tokenizer: await opened.tokenizer(), generationDefaults: opened.generationDefaults }, options);
  } finally {
    source.close();
  }
}
