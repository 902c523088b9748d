/**
 * A checkpoint (any TensorSource in HF naming, with its ModelConfig) → a GGUF file in llama.cpp's Gemma layout:
 * llama.cpp's tensor names and metadata, Gemma 1–3 norms stored as 1 + w (computed in float32, as the
 * converter does after upcasting), Gemma 4's rope_freqs, the tokenizer when one is given, and each tensor in
 * the type the chosen mix assigns (gguf-quant-plan.ts). Quantized mixes quantize the checkpoint's float32
 * values directly with ggml's reference quantizers, i.e. the result equals llama-quantize applied to an F32
 * GGUF of the same checkpoint. Tensors are read, converted and written one at a time.
 */
import { UnsupportedError } from "../../errors.js";
import type { ModelConfig } from "../../model/model-config.js";
import { detectPrefix } from "../../model/model-weights.js";
import { LM_HEAD_NAMES, weightSpecs } from "../../model/weight-table.js";
import { isFloatDtype, toFloat32, type Dtype } from "../dtype.js";
import type { StoredTensor } from "../safetensors.js";
import type { TensorSource } from "../tensor-source.js";
import type { GgmlTypeName } from "../quant/ggml-type.js";
import { quantizeRow } from "../quant/quantize-row.js";
import { ggufNameOf, ROPE_FREQS_GGUF } from "./gemma-tensor-names.js";
import { ggufMetadataFromConfig, ropeFreqsFactors } from "./gguf-model-metadata.js";
import { convertKeepsF32, planTypes, type PlannedTensor, type QuantMix } from "./gguf-quant-plan.js";
import { tokenizerMetadataFromHf } from "./gguf-tokenizer.js";
import type { GgufValue } from "./gguf-value.js";
import { writeGguf, type GgufTensorToWrite } from "./gguf-writer.js";

export interface ConvertToGgufOptions {
  readonly mix: QuantMix;
  /** Source tensors above this many bytes are converted in row pieces (default 256 MiB). */
  readonly pieceBytes?: number;
  readonly name?: string;
  /** Parsed tokenizer.json, written as llama.cpp tokenizer metadata. */
  readonly tokenizerJson?: unknown;
  readonly chatTemplate?: string | null;
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly name: string; readonly type: GgmlTypeName }) => void;
}

export interface ConvertedTensor {
  readonly hfName: string;
  readonly ggufName: string;
  readonly type: GgmlTypeName;
}

interface SourceTensor extends PlannedTensor {
  readonly hfName: string | null;
  readonly oneplusNorm: boolean;
  readonly values?: Float32Array;
}

const CONVERT_PIECE_BYTES = 256 << 20;

export function convertToGguf(config: ModelConfig, source: TensorSource, outPath: string, options: ConvertToGgufOptions): ConvertedTensor[] {
  const prefix = detectPrefix(source);
  const planned: SourceTensor[] = [];
  const rope = ropeFreqsFactors(config);
  if (rope) planned.push({ name: ROPE_FREQS_GGUF, shape: [rope.length], hfName: null, oneplusNorm: false, values: rope });
  const specs = weightSpecs(config);
  // llama.cpp's order: embeddings, layers, then the final norm and head.
  const ordered = [...specs.filter((s) => s.slot !== "finalNorm" && s.slot !== "lmHead"), ...specs.filter((s) => s.slot === "finalNorm" || s.slot === "lmHead")];
  for (const spec of ordered) {
    const hfName = spec.slot === "lmHead" ? LM_HEAD_NAMES.find((n) => source.has(n)) ?? "lm_head.weight" : prefix + spec.name;
    const pair = ggufNameOf(config.family, spec.slot === "lmHead" ? "lm_head.weight" : spec.name);
    if (!pair) throw new UnsupportedError(`${source.dir}: tensor ${hfName} has no place in llama.cpp's ${config.family} GGUF layout`);
    const info = source.info(hfName);
    if (!isFloatDtype(info.dtype)) throw new UnsupportedError(`${source.pathOf(hfName)}: tensor ${hfName} is ${info.dtype}; only F32/F16/BF16 checkpoints can be converted`);
    if (info.shape.length !== spec.shape.length || info.shape.some((d, i) => d !== spec.shape[i])) {
      throw new UnsupportedError(`${source.pathOf(hfName)}: tensor ${hfName} has shape [${info.shape.join(", ")}] but the config implies [${spec.shape.join(", ")}]`);
    }
    planned.push({ name: pair.gguf, shape: spec.shape, hfName, oneplusNorm: pair.oneplusNorm });
  }

  const intermediate: GgmlTypeName = options.mix === "F16" || options.mix === "BF16" ? options.mix : "F32";
  const current = planned.map((t): GgmlTypeName => (convertKeepsF32(t) ? "F32" : intermediate));
  const types = planTypes(planned, current, options.mix, { numLayers: config.numLayers, numExperts: config.moe?.numExperts ?? 0 });

  const metadata: [string, GgufValue][] = ggufMetadataFromConfig(config, { fileType: options.mix, ...(options.name ? { name: options.name } : {}) });
  if (options.tokenizerJson !== undefined && options.tokenizerJson !== null) {
    metadata.push(...tokenizerMetadataFromHf(options.tokenizerJson, {
      family: config.family, vocabSize: config.vocabSize, chatTemplate: options.chatTemplate ?? null, source: `${source.dir}/tokenizer.json`,
    }));
  }
  let done = 0;
  const tensors: GgufTensorToWrite[] = planned.map((t, i) => ({
    name: t.name,
    type: types[i]!,
    shape: t.shape,
    data: () => {
      const type = types[i]!;
      const encode = (stored: { dtype: Dtype; data: StoredTensor["data"] }): Uint8Array => {
        const values = toFloat32(stored.dtype, stored.data);
        // llama.cpp stores Gemma 1–3 norms as 1 + w, added in float32.
        if (t.oneplusNorm) for (let j = 0; j < values.length; j++) values[j] = values[j]! + 1;
        return quantizeRow(type, values);
      };
      const rows = t.shape[0] ?? 1;
      const pieceBytes = options.pieceBytes ?? CONVERT_PIECE_BYTES;
      const big = t.hfName !== null && source.readRows !== undefined && rows > 1 && source.info(t.hfName).byteLength > pieceBytes;
      if (!big) {
        const bytes = t.values ? quantizeRow(type, t.values) : encode(source.read(t.hfName!));
        options.onProgress?.({ done: ++done, total: planned.length, name: t.name, type });
        return bytes;
      }
      // Large tables (Gemma 4's per-layer embeddings: 4.7 GB in bf16) go through in row pieces, so that
      // neither the float32 copy nor the output has to fit in one array.
      const rowsPerPiece = Math.max(1, Math.floor(pieceBytes / (source.info(t.hfName!).byteLength / rows)));
      return (function* () {
        for (let start = 0; start < rows; start += rowsPerPiece) yield encode(source.readRows!(t.hfName!, start, Math.min(rowsPerPiece, rows - start)));
        options.onProgress?.({ done: ++done, total: planned.length, name: t.name, type });
      })();
    },
  }));
  writeGguf(outPath, { metadata, tensors });
  return planned.map((t, i) => ({ hfName: t.hfName ?? "", ggufName: t.name, type: types[i]! }));
}
