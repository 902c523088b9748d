/**
 * `gemma4 quantize`: a GGUF → another GGUF in a llama.cpp mix. Tensors llama-quantize leaves alone (norms,
 * 1-D tensors, the MoE router, per_layer_model_proj) and tensors already in their target type are copied byte
 * for byte; the others are decoded to float32 and re-encoded with ggml's reference quantizers. Metadata is
 * copied, with general.file_type set to the mix.
 */
import { UnsupportedError } from "../../errors.js";
import { isCodecType, dequantizeRow, quantizeRow } from "../quant/quantize-row.js";
import type { GgmlTypeName } from "../quant/ggml-type.js";
import { GgufFile } from "./gguf-file.js";
import { LLAMA_FILE_TYPES } from "./gguf-model-metadata.js";
import { planTypes, type QuantMix } from "./gguf-quant-plan.js";
import { gguf } from "./gguf-value.js";
import { writeGguf, type GgufTensorToWrite } from "./gguf-writer.js";

export interface QuantizedTensor {
  readonly name: string;
  readonly from: GgmlTypeName;
  readonly to: GgmlTypeName;
}

const PIECE_BYTES = 256 << 20;

/** `pieceBytes`: tensors above this many bytes are converted in row pieces (default 256 MiB). */
export function quantizeGguf(inPath: string, outPath: string, mix: QuantMix, onProgress?: (done: number, total: number, name: string) => void, pieceBytes = PIECE_BYTES): QuantizedTensor[] {
  const file = GgufFile.open(inPath);
  try {
    const arch = file.metadata.string("general.architecture");
    const infos = [...file.tensors.values()].sort((a, b) => a.offset - b.offset);
    const current = infos.map((t) => t.type);
    const types = planTypes(infos, current, mix, {
      numLayers: file.metadata.uint(`${arch}.block_count`),
      numExperts: file.metadata.uint(`${arch}.expert_count`, 0),
    });
    infos.forEach((t, i) => {
      if (types[i] !== t.type && !isCodecType(t.type)) throw new UnsupportedError(`${inPath}: tensor ${t.name} is ${t.type}, which cannot be re-quantized by this build`);
    });
    const metadata = new Map(file.metadata.entries);
    metadata.set("general.file_type", gguf.u32(LLAMA_FILE_TYPES[mix]));
    metadata.set("general.quantization_version", gguf.u32(2));
    let done = 0;
    const tensors: GgufTensorToWrite[] = infos.map((t, i) => ({
      name: t.name,
      type: types[i]!,
      shape: t.shape,
      data: () => {
        const convert = (bytes: Uint8Array): Uint8Array => (types[i] === t.type ? bytes : quantizeRow(types[i]!, dequantizeRow(t.type, bytes)));
        const rows = t.shape[0] ?? 1;
        if (t.byteLength <= pieceBytes || rows <= 1) {
          const out = convert(file.readTensorBytes(t.name));
          onProgress?.(++done, infos.length, t.name);
          return out;
        }
        // Large tensors (Gemma 4's per-layer embeddings) in pieces of whole rows: no single array holds them.
        const sliceBytes = t.byteLength / rows;
        const perPiece = Math.max(1, Math.floor(pieceBytes / sliceBytes));
        return (function* () {
          for (let start = 0; start < rows; start += perPiece) {
            yield convert(file.readBytes(t.fileOffset + start * sliceBytes, Math.min(perPiece, rows - start) * sliceBytes));
          }
          onProgress?.(++done, infos.length, t.name);
        })();
      },
    }));
    writeGguf(outPath, { metadata, tensors, alignment: file.alignment });
    return infos.map((t, i) => ({ name: t.name, from: t.type, to: types[i]! }));
  } finally {
    file.close();
  }
}
