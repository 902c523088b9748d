/**
 * A GGUF file of a Gemma model seen as a TensorSource in Hugging Face naming ("model.layers.3.self_attn.
 * q_proj.weight", "lm_head.weight", shapes [out, in]) with its ModelConfig, so model loading is the same for
 * GGUF and safetensors checkpoints.
 *
 * - F32/F16/BF16 tensors read as they are stored.
 * - Gemma 1–3 norm weights are stored by llama.cpp as 1 + w; they read back as w = fl(s − 1) in float32.
 *   That can differ from the checkpoint's w in its lowest bits, but 1 + w, the only thing the decoder uses
 *   (x·(1 + w) in float32), comes back bit for bit: for s in [0.5, 2], s − 1 and 1 + (s − 1) are exact.
 * - Quantized tensors (Q8_0, Q4_K, …) report dtype "u8" and are read with `readBlocks`; opened with
 *   `{ quantized: "dequantize" }` they report and read as float32 instead (an explicit, memory-costly choice).
 */
import { statSync } from "node:fs";
import { BadFileError, UnsupportedError } from "../../errors.js";
import type { Family, ModelConfig } from "../../model/model-config.js";
import type { Dtype } from "../dtype.js";
import { viewAs } from "../dtype.js";
import type { StoredTensor, TensorInfo } from "../safetensors.js";
import type { TensorSource } from "../tensor-source.js";
import type { GgmlTypeName } from "../quant/ggml-type.js";
import { dequantizeRow, isCodecType } from "../quant/quantize-row.js";
import { GgufFile, type GgufTensorInfo } from "./gguf-file.js";
import { hfNameOf, LM_HEAD_PAIR } from "./gemma-tensor-names.js";
import { familyOfGguf, modelConfigFromGguf } from "./gguf-model-config.js";

/** The prefix our HF names carry (the one `Gemma*ForCausalLM` checkpoints use). */
export const GGUF_HF_PREFIX = "model.";

export interface GgufTensorSourceInfo extends TensorInfo {
  /** The ggml type the tensor is stored in. */
  readonly ggmlType: GgmlTypeName;
  /** Its name in the GGUF file. */
  readonly ggufName: string;
  /** Stored as 1 + w (Gemma 1–3 norms); read() subtracts the one. */
  readonly oneplusNorm: boolean;
}

export interface QuantizedBlocks {
  readonly type: GgmlTypeName;
  /** PyTorch order. */
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export interface GgufModelOptions {
  /** "raw" (default): quantized tensors are u8 blocks; "dequantize": read them as float32. */
  readonly quantized?: "raw" | "dequantize";
}

const FLOAT_TYPES: Partial<Record<GgmlTypeName, Dtype>> = { F32: "f32", F16: "f16", BF16: "bf16" };

export class GgufModel implements TensorSource {
  readonly config: ModelConfig;
  readonly family: Family;
  private readonly byHf: ReadonlyMap<string, GgufTensorSourceInfo>;

  private constructor(readonly file: GgufFile, private readonly options: GgufModelOptions) {
    this.family = familyOfGguf(file);
    this.config = modelConfigFromGguf(file);
    const byHf = new Map<string, GgufTensorSourceInfo>();
    for (const t of file.tensors.values()) {
      const pair = hfNameOf(this.family, t.name);
      if (!pair) continue; // rope_freqs and tensors of other model parts
      const name = pair.hf === LM_HEAD_PAIR.hf ? pair.hf : GGUF_HF_PREFIX + pair.hf;
      byHf.set(name, this.describe(name, t, pair.oneplusNorm));
    }
    this.byHf = byHf;
  }

  static open(path: string, options: GgufModelOptions = {}): GgufModel {
    const file = GgufFile.open(path);
    try {
      return new GgufModel(file, options);
    } catch (e) {
      file.close();
      throw e;
    }
  }

  private describe(name: string, t: GgufTensorInfo, oneplusNorm: boolean): GgufTensorSourceInfo {
    const stored = FLOAT_TYPES[t.type];
    if (oneplusNorm && !(stored || isCodecType(t.type))) throw new UnsupportedError(`${this.file.path}: norm ${t.name} is stored as ${t.type}`);
    const dtype: Dtype = oneplusNorm ? "f32" : stored ?? (this.options.quantized === "dequantize" && isCodecType(t.type) ? "f32" : "u8");
    return Object.freeze({ name, dtype, shape: t.shape, fileOffset: t.fileOffset, byteLength: t.byteLength, ggmlType: t.type, ggufName: t.name, oneplusNorm });
  }

  get dir(): string {
    return this.file.path;
  }

  get tensorNames(): string[] {
    return [...this.byHf.keys()];
  }

  has(name: string): boolean {
    return this.byHf.has(name);
  }

  info(name: string): GgufTensorSourceInfo {
    const info = this.byHf.get(name);
    if (!info) throw new BadFileError(this.file.path, `no tensor ${JSON.stringify(name)} (GGUF names are mapped from llama.cpp's Gemma layout)`);
    return info;
  }

  read(name: string): StoredTensor {
    const info = this.info(name);
    return this.decode(info, info.shape, this.file.readTensorBytes(info.ggufName));
  }

  /** Rows [start, start + count) (first PyTorch dimension) of a tensor, converted as read() converts it. */
  readRows(name: string, start: number, count: number): StoredTensor {
    const info = this.info(name);
    const { shape, bytes } = this.rowBytes(info, start, count);
    return this.decode(info, shape, bytes);
  }

  private decode(info: GgufTensorSourceInfo, shape: readonly number[], bytes: Uint8Array): StoredTensor {
    if (info.oneplusNorm) {
      const values = FLOAT_TYPES[info.ggmlType] === "f32" ? viewAs("f32", bytes) : dequantizeRow(info.ggmlType, bytes);
      for (let i = 0; i < values.length; i++) values[i] = values[i]! - 1; // float32 store: fl(s − 1)
      return { dtype: "f32", shape, data: values };
    }
    if (info.dtype === "f32" && info.ggmlType !== "F32") return { dtype: "f32", shape, data: dequantizeRow(info.ggmlType, bytes) };
    if (info.dtype === "u8") {
      throw new UnsupportedError(`${this.file.path}: tensor ${info.ggufName} is ${info.ggmlType}; read it with readBlocks() or open with { quantized: "dequantize" }`);
    }
    return { dtype: info.dtype, shape, data: viewAs(info.dtype, bytes) };
  }

  /** The stored blocks of any tensor, whatever its type (for kernels that compute on quantized weights). */
  readBlocks(name: string): QuantizedBlocks {
    const info = this.info(name);
    if (info.oneplusNorm) throw new UnsupportedError(`${this.file.path}: ${info.ggufName} is a 1 + w norm; use read()`);
    return { type: info.ggmlType, shape: info.shape, bytes: this.file.readTensorBytes(info.ggufName) };
  }

  /** readBlocks() of rows [start, start + count). */
  readBlockRows(name: string, start: number, count: number): QuantizedBlocks {
    const info = this.info(name);
    if (info.oneplusNorm) throw new UnsupportedError(`${this.file.path}: ${info.ggufName} is a 1 + w norm; use read()`);
    const { shape, bytes } = this.rowBytes(info, start, count);
    return { type: info.ggmlType, shape, bytes };
  }

  private rowBytes(info: GgufTensorSourceInfo, start: number, count: number): { shape: number[]; bytes: Uint8Array } {
    const rows = info.shape[0] ?? 1;
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= rows)) {
      throw new RangeError(`${this.file.path}: rows ${start}..${start + count} of ${info.ggufName} (${rows} rows)`);
    }
    const stored = this.file.info(info.ggufName);
    const rowBytes = rows === 0 ? 0 : stored.byteLength / rows;
    return { shape: [count, ...info.shape.slice(1)], bytes: this.file.readBytes(stored.fileOffset + start * rowBytes, count * rowBytes) };
  }

  pathOf(name: string): string {
    this.info(name);
    return this.file.path;
  }

  get fileBytes(): number {
    return statSync(this.file.path).size;
  }

  close(): void {
    this.file.close();
  }
}
