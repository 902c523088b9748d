/**
 * Typed reads of GGUF metadata. Integer keys are accepted in any integer type (writers differ: llama.cpp's
 * Python writer uses UINT32 for counts, others INT32 or UINT64); each failure is a one-line BadFileError
 * naming the file and key.
 */
import { BadFileError } from "../../errors.js";
import { describeValue, type GgufValue } from "./gguf-value.js";

const INT_TYPES = new Set(["u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64"]);

export class GgufMetadata {
  constructor(readonly path: string, readonly entries: ReadonlyMap<string, GgufValue>) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): GgufValue | undefined {
    return this.entries.get(key);
  }

  fail(key: string, why: string): never {
    throw new BadFileError(this.path, `metadata ${key} ${why}`);
  }

  private required(key: string): GgufValue {
    const v = this.entries.get(key);
    if (!v) this.fail(key, "is missing");
    return v;
  }

  /** A non-negative integer that fits a JS number. */
  uint(key: string): number;
  uint(key: string, fallback: number): number;
  uint(key: string, fallback?: number): number {
    const v = this.entries.get(key);
    if (!v) return fallback ?? this.required(key) as never;
    return this.toUint(key, v);
  }

  optionalUint(key: string): number | null {
    const v = this.entries.get(key);
    return v ? this.toUint(key, v) : null;
  }

  private toUint(key: string, v: GgufValue): number {
    if (!INT_TYPES.has(v.type)) this.fail(key, `must be an integer, not ${describeValue(v)}`);
    const n = Number(v.value);
    if (!Number.isSafeInteger(n) || n < 0) this.fail(key, `must be a non-negative integer, not ${String(v.value)}`);
    return n;
  }

  float(key: string): number;
  float(key: string, fallback: number): number;
  float(key: string, fallback?: number): number {
    const v = this.entries.get(key);
    if (!v) return fallback ?? this.required(key) as never;
    if (v.type !== "f32" && v.type !== "f64" && !INT_TYPES.has(v.type)) this.fail(key, `must be a number, not ${describeValue(v)}`);
    const n = Number(v.value);
    if (!Number.isFinite(n)) this.fail(key, `must be finite, not ${n}`);
    return v.type === "f32" ? shortestDecimalOfFloat32(n) : n;
  }

  optionalFloat(key: string): number | null {
    return this.entries.has(key) ? this.float(key) : null;
  }

  string(key: string): string {
    const v = this.required(key);
    if (v.type !== "string") this.fail(key, `must be a string, not ${describeValue(v)}`);
    return v.value;
  }

  optionalString(key: string): string | null {
    return this.entries.has(key) ? this.string(key) : null;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.entries.get(key);
    if (!v) return fallback;
    if (v.type !== "bool") this.fail(key, `must be true or false, not ${describeValue(v)}`);
    return v.value;
  }

  /** A per-layer value: one integer for every layer, or an array of `count` integers. */
  uintPerLayer(key: string, count: number): number[] | null {
    const v = this.entries.get(key);
    if (!v) return null;
    if (v.type !== "array") return new Array<number>(count).fill(this.toUint(key, v));
    if (v.value.length !== count) this.fail(key, `has ${v.value.length} entries for ${count} layers`);
    return Array.from(v.value as ArrayLike<number | bigint | boolean | string>, (x) => {
      const n = Number(x);
      if (typeof x === "string" || typeof x === "boolean" || !Number.isSafeInteger(n) || n < 0) this.fail(key, `must hold non-negative integers`);
      return n;
    });
  }

  /** A per-layer flag: one bool for every layer, or an array of `count` bools. */
  boolPerLayer(key: string, count: number): boolean[] | null {
    const v = this.entries.get(key);
    if (!v) return null;
    if (v.type === "bool") return new Array<boolean>(count).fill(v.value);
    if (v.type !== "array" || v.itemType !== "bool") this.fail(key, `must be a bool or an array of bools, not ${describeValue(v)}`);
    if (v.value.length !== count) this.fail(key, `has ${v.value.length} entries for ${count} layers`);
    return [...(v.value as readonly boolean[])];
  }

  stringArray(key: string): readonly string[] | null {
    const v = this.entries.get(key);
    if (!v) return null;
    if (v.type !== "array" || v.itemType !== "string") this.fail(key, `must be an array of strings, not ${describeValue(v)}`);
    return v.value as readonly string[];
  }

  /** A numeric array as float64 numbers (scores, token types). */
  numberArray(key: string): Float64Array | null {
    const v = this.entries.get(key);
    if (!v) return null;
    if (v.type !== "array" || v.itemType === "string" || v.itemType === "bool") this.fail(key, `must be a numeric array, not ${describeValue(v)}`);
    return Float64Array.from(v.value as ArrayLike<number | bigint>, (x) => Number(x));
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }
}

/**
 * The shortest decimal that rounds to the same float32: float32 keys hold values written as decimals in
 * config.json (rms_norm_eps 1e-6 is stored as 9.99999997e-7), and this gives the config its decimal back.
 */
export function shortestDecimalOfFloat32(x: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}
