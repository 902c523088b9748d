/**
 * `describeModel(dir)`: what a checkpoint is, read from its config and tensor headers alone (no weights
 * are loaded): architecture, layers by type, parameters, dtypes, bytes on disk and KV-cache cost.
 */
import { numElements } from "../formats/safetensors.js";
import { openCheckpoint } from "./open-checkpoint.js";
import { kvBytesPerToken, type ModelConfig } from "../model/model-config.js";
import { describeLayout } from "../model/model-weights.js";

export interface ModelDescription {
  readonly source: string;
  readonly config: ModelConfig;
  /** Elements of every stored tensor (the checkpoint's parameter count). */
  readonly storedParameters: number;
  /** Elements of the tensors the text decoder runs (excludes vision/audio towers and ignored tensors). */
  readonly textParameters: number;
  readonly tensorCount: number;
  /** Stored tensors by dtype: element counts. */
  readonly parametersByDtype: Readonly<Record<string, number>>;
  readonly fileBytes: number;
  /** Vision/audio tensors the text decoder skips. */
  readonly skippedMultimodalTensors: number;
  /** Tensors neither used nor multimodal (e.g. k/v weights of KV-shared layers). */
  readonly unusedTensors: readonly string[];
  /** KV-cache bytes for a 1,000-token sequence at 4 bytes per value (sliding layers hold at most their window). */
  readonly kvBytesPer1000Tokens: number;
  /** The same without the sliding-window bound (every layer keeping every token). */
  readonly kvBytesPerTokenUnbounded: number;
}

export function describeModel(dir: string): ModelDescription {
  const { config, source: checkpoint } = openCheckpoint(dir);
  try {
    const layout = describeLayout(config, checkpoint);
    const skipped = new Set([...layout.skippedMultimodal, ...layout.unused]);
    let storedParameters = 0;
    let textParameters = 0;
    const parametersByDtype: Record<string, number> = {};
    for (const name of checkpoint.tensorNames) {
      const info = checkpoint.info(name);
      const n = numElements(info.shape);
      storedParameters += n;
      if (!skipped.has(name)) textParameters += n;
      // GGUF tensors name their block format (Q4_K, …); safetensors ones their dtype.
      const stored = "ggmlType" in info && typeof info.ggmlType === "string" ? info.ggmlType : info.dtype;
      parametersByDtype[stored] = (parametersByDtype[stored] ?? 0) + n;
    }
    return {
      source: dir,
      config,
      storedParameters,
      textParameters,
      tensorCount: checkpoint.tensorNames.length,
      parametersByDtype,
      fileBytes: checkpoint.fileBytes,
      skippedMultimodalTensors: layout.skippedMultimodal.length,
      unusedTensors: layout.unused,
      kvBytesPer1000Tokens: kvBytesForTokens(config, 1000, 4),
      kvBytesPerTokenUnbounded: kvBytesPerToken(config, 4),
    };
  } finally {
    checkpoint.close();
  }
}

/** KV bytes a sequence of `tokens` holds: sliding layers keep at most their window, shared layers none. */
export function kvBytesForTokens(config: ModelConfig, tokens: number, bytesPerValue: number): number {
  let total = 0;
  for (const layer of config.layers) {
    if (layer.kvSharedFrom !== null) continue;
    const kept = layer.slidingWindow === null ? tokens : Math.min(tokens, layer.slidingWindow);
    total += 2 * kept * layer.numKvHeads * layer.headDim * bytesPerValue;
  }
  return total;
}
