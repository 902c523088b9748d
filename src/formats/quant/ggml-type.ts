/**
 * ggml tensor types as GGUF files number them (ggml.h `enum ggml_type`), with each type's block geometry
 * (ggml.c `type_traits`): a row of `blockElems` values is stored in `blockBytes` bytes. The reader validates
 * every type in this table; the (de)quantizers in this folder cover the ones real Gemma GGUFs are made of.
 */
export type GgmlTypeName =
  | "F32" | "F16" | "Q4_0" | "Q4_1" | "Q5_0" | "Q5_1" | "Q8_0" | "Q8_1" | "Q2_K" | "Q3_K" | "Q4_K" | "Q5_K" | "Q6_K" | "Q8_K"
  | "IQ2_XXS" | "IQ2_XS" | "IQ3_XXS" | "IQ1_S" | "IQ4_NL" | "IQ3_S" | "IQ2_S" | "IQ4_XS" | "I8" | "I16" | "I32" | "I64" | "F64"
  | "IQ1_M" | "BF16" | "TQ1_0" | "TQ2_0" | "MXFP4" | "NVFP4" | "Q1_0" | "Q2_0";

export interface GgmlTypeInfo {
  readonly name: GgmlTypeName;
  /** The number GGUF files store. */
  readonly id: number;
  readonly blockElems: number;
  readonly blockBytes: number;
}

/** QK_K: elements per K-quant super-block. */
export const QK_K = 256;

const TABLE: readonly (readonly [GgmlTypeName, number, number, number])[] = [
  ["F32", 0, 1, 4], ["F16", 1, 1, 2], ["Q4_0", 2, 32, 18], ["Q4_1", 3, 32, 20], ["Q5_0", 6, 32, 22], ["Q5_1", 7, 32, 24],
  ["Q8_0", 8, 32, 34], ["Q8_1", 9, 32, 36], ["Q2_K", 10, 256, 84], ["Q3_K", 11, 256, 110], ["Q4_K", 12, 256, 144],
  ["Q5_K", 13, 256, 176], ["Q6_K", 14, 256, 210], ["Q8_K", 15, 256, 292], ["IQ2_XXS", 16, 256, 66], ["IQ2_XS", 17, 256, 74],
  ["IQ3_XXS", 18, 256, 98], ["IQ1_S", 19, 256, 50], ["IQ4_NL", 20, 32, 18], ["IQ3_S", 21, 256, 110], ["IQ2_S", 22, 256, 82],
  ["IQ4_XS", 23, 256, 136], ["I8", 24, 1, 1], ["I16", 25, 1, 2], ["I32", 26, 1, 4], ["I64", 27, 1, 8], ["F64", 28, 1, 8],
  ["IQ1_M", 29, 256, 56], ["BF16", 30, 1, 2], ["TQ1_0", 34, 256, 54], ["TQ2_0", 35, 256, 66], ["MXFP4", 39, 32, 17],
  ["NVFP4", 40, 64, 36], ["Q1_0", 41, 128, 18], ["Q2_0", 42, 64, 18],
];

const BY_ID = new Map<number, GgmlTypeInfo>();
const BY_NAME = new Map<GgmlTypeName, GgmlTypeInfo>();
for (const [name, id, blockElems, blockBytes] of TABLE) {
  const info = Object.freeze({ name, id, blockElems, blockBytes });
  BY_ID.set(id, info);
  BY_NAME.set(name, info);
}

/** The type GGUF number `id` names, or undefined for numbers ggml does not define (or has retired). */
export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return BY_ID.get(id);
}

export function ggmlType(name: GgmlTypeName): GgmlTypeInfo {
  const info = BY_NAME.get(name);
  if (!info) throw new Error(`unknown ggml type ${name}`);
  return info;
}

export function isGgmlTypeName(name: string): name is GgmlTypeName {
  return BY_NAME.has(name as GgmlTypeName);
}

/** Bytes of a row of `elems` values (elems must be a multiple of the block size). */
export function rowBytes(type: GgmlTypeName, elems: number): number {
  const { blockElems, blockBytes } = ggmlType(type);
  if (elems % blockElems !== 0) throw new Error(`${type} rows hold multiples of ${blockElems} values, not ${elems}`);
  return (elems / blockElems) * blockBytes;
}
