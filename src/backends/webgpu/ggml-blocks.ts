/**
 * ggml's Q8_0 and Q4_0 block formats on the host: quantize (ggml's reference rounding), dequantize, and
 * repack into the layout the WGSL kernels read. A block holds 32 values of one row.
 *   Q8_0: f16 scale d, then 32 int8 q;                 value = q·d              (34 bytes)
 *   Q4_0: f16 scale d, then 16 bytes of nibbles;        value = (nibble − 8)·d   (18 bytes)
 *         byte j's low nibble is element j, its high nibble element j + 16.
 * GPU layout (per weight chunk): quants in one buffer (Q8_0: 4 int8 per u32 word in element order; Q4_0:
 * 8 nibbles per word, element i of a word at bits 4i), the f16 scales packed two per word in another, so
 * every load is a whole aligned word.
 */
import { f16ToF32, f32ToF16 } from "../../formats/dtype.js";

export type BlockFormat = "q8_0" | "q4_0";

export const BLOCK_VALUES = 32;
export const BLOCK_BYTES: Readonly<Record<BlockFormat, number>> = { q8_0: 34, q4_0: 18 };

/** Quantizes rows of `values` (a multiple of 32 long) as ggml's quantize_row_*_ref does. */
export function quantizeBlocks(format: BlockFormat, values: Float32Array): Uint8Array {
  if (values.length % BLOCK_VALUES !== 0) throw new Error(`${format}: ${values.length} values are not whole blocks of 32`);
  const numBlocks = values.length / BLOCK_VALUES;
  const out = new Uint8Array(numBlocks * BLOCK_BYTES[format]);
  const view = new DataView(out.buffer);
  for (let b = 0; b < numBlocks; b++) {
    const x = values.subarray(b * 32, b * 32 + 32);
    const base = b * BLOCK_BYTES[format];
    if (format === "q8_0") {
      let amax = 0;
      for (const v of x) amax = Math.max(amax, Math.abs(v));
      const d = amax / 127;
      const id = d ? 1 / d : 0;
      view.setUint16(base, f32ToF16(d), true);
      for (let j = 0; j < 32; j++) view.setInt8(base + 2 + j, Math.round(x[j]! * id));
    } else {
      let amax = 0;
      let max = 0;
      for (const v of x) if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
      const d = max / -8;
      const id = d ? 1 / d : 0;
      view.setUint16(base, f32ToF16(d), true);
      for (let j = 0; j < 16; j++) {
        const lo = Math.min(15, Math.trunc(x[j]! * id + 8.5));
        const hi = Math.min(15, Math.trunc(x[j + 16]! * id + 8.5));
        out[base + 2 + j] = lo | (hi << 4);
      }
    }
  }
  return out;
}

/** The float32 values of `blocks` (what every kernel must compute with). */
export function dequantizeBlocks(format: BlockFormat, blocks: Uint8Array): Float32Array {
  const numBlocks = blocks.length / BLOCK_BYTES[format];
  const out = new Float32Array(numBlocks * 32);
  const view = new DataView(blocks.buffer, blocks.byteOffset, blocks.byteLength);
  for (let b = 0; b < numBlocks; b++) {
    const base = b * BLOCK_BYTES[format];
    const d = f16ToF32(view.getUint16(base, true));
    for (let j = 0; j < 32; j++) {
      if (format === "q8_0") out[b * 32 + j] = view.getInt8(base + 2 + j) * d;
      else {
        const byte = blocks[base + 2 + (j & 15)]!;
        out[b * 32 + j] = ((j < 16 ? byte & 15 : byte >> 4) - 8) * d;
      }
    }
  }
  return out;
}

/** Splits blocks [first, first + count) into the GPU's quant words and packed f16 scales. */
export function repackBlocks(format: BlockFormat, blocks: Uint8Array, first: number, count: number): { quants: Uint32Array; scales: Uint32Array } {
  const bytes = BLOCK_BYTES[format];
  const wordsPerBlock = format === "q8_0" ? 8 : 4;
  const quants = new Uint32Array(count * wordsPerBlock);
  const scales = new Uint32Array(Math.ceil(count / 2));
  for (let i = 0; i < count; i++) {
    const base = (first + i) * bytes;
    const d = blocks[base]! | (blocks[base + 1]! << 8);
    scales[i >> 1]! |= d << (16 * (i & 1));
    if (format === "q8_0") {
      for (let w = 0; w < 8; w++) {
        const o = base + 2 + 4 * w;
        quants[i * 8 + w] = (blocks[o]! | (blocks[o + 1]! << 8) | (blocks[o + 2]! << 16) | (blocks[o + 3]! << 24)) >>> 0;
      }
    } else {
      for (let j = 0; j < 32; j++) {
        const byte = blocks[base + 2 + (j & 15)]!;
        const nibble = j < 16 ? byte & 15 : byte >> 4;
        quants[i * 4 + (j >> 3)]! |= nibble << (4 * (j & 7));
      }
      for (let w = 0; w < 4; w++) quants[i * 4 + w] = quants[i * 4 + w]! >>> 0;
    }
  }
  return { quants, scales };
}
