/**
 * `loadModel(path)`: a Hugging Face model folder or a GGUF file → a ready `Model` on the chosen backend.
 * Both go through the same tensor-source interface and the same weight table.
 */
import { createBackend, createDefaultBackend } from "../backends/create-backend.js";
import type { KvDtype } from "../backends/cpu/cpu-backend.js";
import type { Backend, QuantDtype } from "../backends/ops.js";
import { BadRequestError } from "../errors.js";
import { GemmaDecoder } from "../model/decoder.js";
import { describeLayout, listWeights, loadModelWeights, type LoadProgress } from "../model/model-weights.js";
import type { TensorSource } from "../formats/tensor-source.js";
import { LoraMergedSource } from "../train/lora/lora-merged-source.js";
import { readPeftAdapter } from "../train/lora/peft-adapter.js";
import { DEFAULT_PREFILL_CHUNK, Model, type SessionLimits } from "./model.js";
import { openCheckpoint } from "./open-checkpoint.js";

export interface LoadModelOptions extends SessionLimits {
  /** A backend name ("reference", …) or an instance. */
  readonly backend?: string | Backend;
  readonly onProgress?: (progress: LoadProgress) => void;
  /** A PEFT LoRA adapter folder, merged into the weights as they load (adapted weights become float32). */
  readonly lora?: string;
  /** Threads of the cpu backend (default: all cores). */
  readonly threads?: number;
  /** KV cache element type of the cpu backend (default "f32", exact against float32 transformers; "f16" halves KV memory). */
  readonly kvDtype?: KvDtype;
  /** Quantize float weights to this format while loading (e.g. "q8_0", "q4_k"). */
  readonly quant?: QuantDtype;
}

export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  const opened = openCheckpoint(path);
  const { config } = opened;
  if (options.maxContext !== undefined && options.maxContext > config.maxPositions) {
    // Positions past the trained range are not an error in the arithmetic, but the model's answers there are
    // noise: ask for what the checkpoint was made for (its max_position_embeddings).
    throw new BadRequestError(`a context of ${options.maxContext} tokens is more than this model's ${config.maxPositions} (max_position_embeddings)`, "maxContext");
  }
  // A LoRA adapter is merged into the weights as they are read.
  const source: TensorSource = options.lora ? new LoraMergedSource(opened.source, readPeftAdapter(options.lora)) : opened.source;
  try {
    const cpuOptions = {
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.kvDtype !== undefined ? { kvDtype: options.kvDtype } : {}),
    };
    // No backend named: the fast CPU backend, or the reference one where no kernels were built.
    const backend = typeof options.backend === "object" ? options.backend
      : options.backend === undefined ? await createDefaultBackend(cpuOptions) : await createBackend(options.backend, cpuOptions);
    const layout = describeLayout(config, source);
    const weights = loadModelWeights(config, source, backend, options.onProgress, options.quant ? { quant: options.quant } : {});
    const decoder = new GemmaDecoder(config, weights, backend);
    const limits = {
      maxContext: options.maxContext ?? config.maxPositions,
      prefillChunk: options.prefillChunk ?? DEFAULT_PREFILL_CHUNK,
    };
    const info = { source: path, fileBytes: source.fileBytes, skippedTensors: layout.skippedMultimodal, ...(options.lora ? { lora: options.lora } : {}) };
    return new Model(decoder, info, limits, await opened.tokenizer(), opened.generationDefaults, () => {
      for (const w of listWeights(weights)) backend.release(w);
    });
  } finally {
    source.close();
  }
}
