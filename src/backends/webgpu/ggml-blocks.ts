/**
 * ggml's Q8_0 and Q4_0 blocks repacked into the layout the WGSL kernels read (quantizing and dequantizing
 * them is formats/quant's job). A block holds 32 values of one row.
 *   Q8_0: f16 scale d, then 32 int8 q;                 value = q·d              (34 bytes)
 *   Q4_0: f16 scale d, then 16 bytes of nibbles;        value = (nibble − 8)·d   (18 bytes)
 *         byte j's low nibble is element j, its high nibble element j + 16.
 * GPU layout (per weight chunk): quants in one buffer (Q8_0: 4 int8 per u32 word in element order; Q4_0:
 * 8 nibbles per word, element i of a word at bits 4i), the f16 scales packed two per word in another, so
 * every load is a whole aligned word.
 */
export type BlockFormat = "q8_0" | "q4_0";

export const BLOCK_VALUES = 32;
export const BLOCK_BYTES: Readonly<Record<BlockFormat, number>> = { q8_0: 34, q4_0: 18 };

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
