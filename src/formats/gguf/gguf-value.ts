/**
 * GGUF metadata values (gguf.h `enum gguf_type`): each value keeps the exact on-disk type it was read with
 * or will be written as, because readers such as llama.cpp check it (general.alignment must be UINT32,
 * …). Numeric arrays are typed arrays; 64-bit integers are bigints.
 */
export const GGUF_TYPE = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;

export type GgufScalarType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "bool" | "string" | "u64" | "i64" | "f64";

export type GgufValue =
  | { readonly type: "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64"; readonly value: number }
  | { readonly type: "u64" | "i64"; readonly value: bigint }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "array"; readonly itemType: GgufScalarType; readonly value: GgufArray };

export type GgufArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array
  | BigUint64Array | BigInt64Array | readonly boolean[] | readonly string[];

/** On-disk code and element size of each scalar type (strings: variable, 8-byte length prefix). */
export const SCALAR_CODES: Readonly<Record<GgufScalarType, { readonly code: number; readonly bytes: number }>> = {
  u8: { code: 0, bytes: 1 }, i8: { code: 1, bytes: 1 }, u16: { code: 2, bytes: 2 }, i16: { code: 3, bytes: 2 },
  u32: { code: 4, bytes: 4 }, i32: { code: 5, bytes: 4 }, f32: { code: 6, bytes: 4 }, bool: { code: 7, bytes: 1 },
  string: { code: 8, bytes: 8 }, u64: { code: 10, bytes: 8 }, i64: { code: 11, bytes: 8 }, f64: { code: 12, bytes: 8 },
};

const BY_CODE = new Map<number, GgufScalarType>(Object.entries(SCALAR_CODES).map(([t, { code }]) => [code, t as GgufScalarType]));

export function scalarTypeOfCode(code: number): GgufScalarType | undefined {
  return BY_CODE.get(code);
}

/** Constructors for values to write. */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: "u32", value }),
  i32: (value: number): GgufValue => ({ type: "i32", value }),
  f32: (value: number): GgufValue => ({ type: "f32", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  string: (value: string): GgufValue => ({ type: "string", value }),
  u64: (value: bigint): GgufValue => ({ type: "u64", value }),
  strings: (value: readonly string[]): GgufValue => ({ type: "array", itemType: "string", value }),
  f32s: (value: Float32Array): GgufValue => ({ type: "array", itemType: "f32", value }),
  i32s: (value: Int32Array): GgufValue => ({ type: "array", itemType: "i32", value }),
  u32s: (value: Uint32Array): GgufValue => ({ type: "array", itemType: "u32", value }),
  bools: (value: readonly boolean[]): GgufValue => ({ type: "array", itemType: "bool", value }),
};

/** A short description for messages: `u32 5`, `array[262144] of string`. */
export function describeValue(v: GgufValue): string {
  if (v.type === "array") return `array[${v.value.length}] of ${v.itemType}`;
  const shown = typeof v.value === "string" ? JSON.stringify(v.value.length > 40 ? `${v.value.slice(0, 40)}…` : v.value) : String(v.value);
  return `${v.type} ${shown}`;
}
