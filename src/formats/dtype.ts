/**
 * Element types of stored tensors and the named conversions between them. Weights keep their file
 * dtype; every conversion is an explicit call (style habit 15).
 */
export type Dtype = "f32" | "f16" | "bf16" | "i64" | "i32" | "i16" | "i8" | "u8" | "bool";

export const DTYPE_BYTES: Readonly<Record<Dtype, number>> = {
  f32: 4, f16: 2, bf16: 2, i64: 8, i32: 4, i16: 2, i8: 1, u8: 1, bool: 1,
};

/** Typed array that holds the raw elements of each dtype (16-bit floats as their bit patterns). */
export type DtypeArray = {
  f32: Float32Array; f16: Uint16Array; bf16: Uint16Array; i64: BigInt64Array; i32: Int32Array;
  i16: Int16Array; i8: Int8Array; u8: Uint8Array; bool: Uint8Array;
};
export type AnyDtypeArray = DtypeArray[Dtype];

/** Views `bytes` (which must be aligned for the dtype) as the dtype's typed array, without copying. */
export function viewAs<D extends Dtype>(dtype: D, bytes: Uint8Array): DtypeArray[D] {
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  const { buffer, byteOffset } = bytes;
  const views: { [K in Dtype]: () => DtypeArray[K] } = {
    f32: () => new Float32Array(buffer, byteOffset, n),
    f16: () => new Uint16Array(buffer, byteOffset, n),
    bf16: () => new Uint16Array(buffer, byteOffset, n),
    i64: () => new BigInt64Array(buffer, byteOffset, n),
    i32: () => new Int32Array(buffer, byteOffset, n),
    i16: () => new Int16Array(buffer, byteOffset, n),
    i8: () => new Int8Array(buffer, byteOffset, n),
    u8: () => new Uint8Array(buffer, byteOffset, n),
    bool: () => new Uint8Array(buffer, byteOffset, n),
  };
  return views[dtype]();
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** bfloat16 bits → float32 (exact). */
export function bf16ToF32(bits: number): number {
  u32Scratch[0] = bits << 16;
  return f32Scratch[0]!;
}

/** float32 → bfloat16 bits, round to nearest even (as torch's `.to(torch.bfloat16)`); NaN stays NaN. */
export function f32ToBf16(value: number): number {
  f32Scratch[0] = value;
  const bits = u32Scratch[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Rounds a float32 value to the nearest bfloat16 value and returns it as a number. */
export function roundToBf16(value: number): number {
  return bf16ToF32(f32ToBf16(value));
}

/** All 65,536 float16 values as float32: the conversion is a table lookup. */
const F16_TABLE: Float32Array = (() => {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[h] = mantissa === 0 ? sign * Infinity : NaN;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
})();

/** float16 bits → float32 (exact). */
export function f16ToF32(bits: number): number {
  return F16_TABLE[bits & 0xffff]!;
}

/** float32 → float16 bits, round to nearest even, overflow to ±Inf (as numpy/torch/ggml). */
export function f32ToF16(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0 even after rounding
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let result = mant >>> shift;
    if (rest > half || (rest === half && (result & 1) === 1)) result += 1;
    return sign | result;
  }
  let result = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (result & 1) === 1)) result += 1; // may carry into the exponent: correct
  return sign | result;
}

/** Converts the elements of any floating-point dtype to a new Float32Array. */
export function toFloat32(dtype: Dtype, data: AnyDtypeArray): Float32Array {
  switch (dtype) {
    case "f32":
      return Float32Array.from(data as Float32Array);
    case "bf16": {
      const src = data as Uint16Array;
      const out = new Float32Array(src.length);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < src.length; i++) outBits[i] = src[i]! << 16;
      return out;
    }
    case "f16": {
      const src = data as Uint16Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = F16_TABLE[src[i]!]!;
      return out;
    }
    case "i64":
      return Float32Array.from(data as BigInt64Array, (v) => Number(v));
    case "i32": case "i16": case "i8": case "u8": case "bool":
      return Float32Array.from(data as Int32Array);
    default: {
      const never: never = dtype;
      throw new Error(`unknown dtype ${String(never)}`);
    }
  }
}

/** Encodes float32 values into the bit patterns of a 16-bit float dtype. */
export function fromFloat32(dtype: "f32" | "f16" | "bf16", values: Float32Array): Float32Array | Uint16Array {
  if (dtype === "f32") return Float32Array.from(values);
  const out = new Uint16Array(values.length);
  const encode = dtype === "bf16" ? f32ToBf16 : f32ToF16;
  for (let i = 0; i < values.length; i++) out[i] = encode(values[i]!);
  return out;
}

export function isFloatDtype(dtype: Dtype): dtype is "f32" | "f16" | "bf16" {
  return dtype === "f32" || dtype === "f16" || dtype === "bf16";
}
