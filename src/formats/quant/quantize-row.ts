/**
 * One entry point for every block format: `quantizeRow(type, values)` → bytes and `dequantizeRow(type,
 * bytes)` → float32, exactly as ggml's reference code computes them (test/fixtures/quant holds ggml's own
 * outputs). F32/F16/BF16 are the trivial "block formats" of one value.
 */
import { UnsupportedError } from "../../errors.js";
import { f16ToF32, f32ToBf16, f32ToF16 } from "../dtype.js";
import { ggmlType, type GgmlTypeName } from "./ggml-type.js";
import { dequantizeQ4_0, dequantizeQ4_1, quantizeQ4_0, quantizeQ4_1 } from "./q4-legacy.js";
import { dequantizeQ4_K, quantizeQ4_K } from "./q4-k.js";
import { dequantizeQ5_0, dequantizeQ5_1, quantizeQ5_0, quantizeQ5_1 } from "./q5-legacy.js";
import { dequantizeQ5_K, quantizeQ5_K } from "./q5-k.js";
import { dequantizeQ6_K, quantizeQ6_K } from "./q6-k.js";
import { dequantizeQ8_0, quantizeQ8_0 } from "./q8-0.js";
import { dequantizeQ8_K, quantizeQ8_K } from "./q8-k.js";

/** The formats this module can write and read. */
export const CODEC_TYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "Q8_K"] as const;
export type CodecType = (typeof CODEC_TYPES)[number];

interface Codec {
  quantize(x: Float32Array, out: Uint8Array): void;
  dequantize(bytes: Uint8Array, out: Float32Array): void;
}

function f32Codec(): Codec {
  return {
    quantize: (x, out) => new Float32Array(out.buffer, out.byteOffset, x.length).set(x),
    dequantize: (bytes, out) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    },
  };
}

function halfCodec(encode: (v: number) => number, decode: (bits: number) => number): Codec {
  return {
    quantize: (x, out) => {
      for (let i = 0; i < x.length; i++) {
        const h = encode(x[i]!);
        out[2 * i] = h & 0xff;
        out[2 * i + 1] = h >>> 8;
      }
    },
    dequantize: (bytes, out) => {
      for (let i = 0; i < out.length; i++) out[i] = decode(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
    },
  };
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
function bf16Decode(bits: number): number {
  u32Scratch[0] = bits << 16;
  return f32Scratch[0]!;
}

const CODECS: Readonly<Record<CodecType, Codec>> = {
  F32: f32Codec(),
  F16: halfCodec(f32ToF16, f16ToF32),
  BF16: halfCodec(f32ToBf16, bf16Decode),
  Q8_0: { quantize: quantizeQ8_0, dequantize: dequantizeQ8_0 },
  Q4_0: { quantize: quantizeQ4_0, dequantize: dequantizeQ4_0 },
  Q4_1: { quantize: quantizeQ4_1, dequantize: dequantizeQ4_1 },
  Q5_0: { quantize: quantizeQ5_0, dequantize: dequantizeQ5_0 },
  Q5_1: { quantize: quantizeQ5_1, dequantize: dequantizeQ5_1 },
  Q4_K: { quantize: quantizeQ4_K, dequantize: dequantizeQ4_K },
  Q5_K: { quantize: quantizeQ5_K, dequantize: dequantizeQ5_K },
  Q6_K: { quantize: quantizeQ6_K, dequantize: dequantizeQ6_K },
  Q8_K: { quantize: quantizeQ8_K, dequantize: dequantizeQ8_K },
};

export function isCodecType(type: string): type is CodecType {
  return (CODEC_TYPES as readonly string[]).includes(type);
}

function codecFor(type: GgmlTypeName): Codec {
  if (!isCodecType(type)) throw new UnsupportedError(`ggml type ${type} cannot be (de)quantized by this build (supported: ${CODEC_TYPES.join(", ")})`);
  return CODECS[type];
}

function checkLength(type: GgmlTypeName, elems: number): number {
  const { blockElems, blockBytes } = ggmlType(type);
  if (elems % blockElems !== 0) throw new RangeError(`${type} holds values in blocks of ${blockElems}; ${elems} is not a multiple`);
  return (elems / blockElems) * blockBytes;
}

/** Encodes `values` (a multiple of the type's block size) as ggml's reference quantizer does. */
export function quantizeRow(type: GgmlTypeName, values: Float32Array): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(checkLength(type, values.length)));
  codecFor(type).quantize(values, out);
  return out;
}

/** Writes the encoding of `values` into `out` (which must be exactly the right size). */
export function quantizeRowInto(type: GgmlTypeName, values: Float32Array, out: Uint8Array): void {
  const bytes = checkLength(type, values.length);
  if (out.byteLength !== bytes) throw new RangeError(`${type}: ${values.length} values need ${bytes} bytes, got ${out.byteLength}`);
  codecFor(type).quantize(values, out);
}

/** Decodes `bytes` (whole blocks) to float32 as ggml's dequantize_row_* does. */
export function dequantizeRow(type: GgmlTypeName, bytes: Uint8Array): Float32Array {
  const { blockElems, blockBytes } = ggmlType(type);
  if (bytes.byteLength % blockBytes !== 0) throw new RangeError(`${type} blocks are ${blockBytes} bytes; ${bytes.byteLength} is not a multiple`);
  const out = new Float32Array((bytes.byteLength / blockBytes) * blockElems);
  codecFor(type).dequantize(bytes, out);
  return out;
}

/** Decodes into `out`, whose length says how many values `bytes` holds. */
export function dequantizeRowInto(type: GgmlTypeName, bytes: Uint8Array, out: Float32Array): void {
  const need = checkLength(type, out.length);
  if (bytes.byteLength < need) throw new RangeError(`${type}: ${out.length} values need ${need} bytes, got ${bytes.byteLength}`);
  codecFor(type).dequantize(bytes, out);
}
