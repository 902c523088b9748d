/**
 * Typed reads of fields from an untrusted JSON object. Each failure is a BadFileError that names the file
 * and the field, so a broken config.json gives one clear line.
 */
import { BadFileError } from "../errors.js";

export class JsonFields {
  constructor(readonly path: string, readonly obj: Readonly<Record<string, unknown>>, readonly prefix = "") {}

  static parse(path: string, text: string): JsonFields {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new BadFileError(path, `not valid JSON (${(e as Error).message})`, { cause: e });
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new BadFileError(path, "is not a JSON object");
    return new JsonFields(path, json as Record<string, unknown>);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  fail(key: string, why: string): never {
    throw new BadFileError(this.path, `${this.prefix}${key} ${why}`);
  }

  private value(key: string): unknown {
    const v = this.obj[key];
    return v === null ? undefined : v;
  }

  number(key: string, fallback?: number): number {
    const v = this.value(key);
    if (v === undefined) {
      if (fallback === undefined) this.fail(key, "is missing");
      return fallback;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(key, `must be a number, not ${JSON.stringify(v)}`);
    return v;
  }

  /** A positive (or, with `allowZero`, non-negative) integer. */
  int(key: string, fallback?: number, allowZero = false): number {
    const v = this.number(key, fallback);
    if (!Number.isSafeInteger(v) || v < 0 || (v === 0 && !allowZero)) this.fail(key, `must be a ${allowZero ? "non-negative" : "positive"} integer, not ${v}`);
    return v;
  }

  optionalNumber(key: string): number | null {
    return this.has(key) ? this.number(key) : null;
  }

  optionalInt(key: string): number | null {
    return this.has(key) ? this.int(key) : null;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.value(key);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") this.fail(key, `must be true or false, not ${JSON.stringify(v)}`);
    return v;
  }

  string(key: string, fallback?: string): string {
    const v = this.value(key);
    if (v === undefined) {
      if (fallback === undefined) this.fail(key, "is missing");
      return fallback;
    }
    if (typeof v !== "string") this.fail(key, `must be a string, not ${JSON.stringify(v)}`);
    return v;
  }

  optionalString(key: string): string | null {
    return this.has(key) ? this.string(key) : null;
  }

  /** An integer or a list of integers (eos_token_id). */
  intList(key: string): number[] | null {
    const v = this.value(key);
    if (v === undefined) return null;
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => Number.isSafeInteger(x) && x >= 0)) this.fail(key, `must be an integer or a list of integers, not ${JSON.stringify(v)}`);
    return list as number[];
  }

  stringList(key: string): string[] | null {
    const v = this.value(key);
    if (v === undefined) return null;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) this.fail(key, `must be a list of strings`);
    return v as string[];
  }

  /** A nested object, or null when absent. */
  object(key: string): JsonFields | null {
    const v = this.value(key);
    if (v === undefined) return null;
    if (typeof v !== "object" || Array.isArray(v)) this.fail(key, "must be an object");
    return new JsonFields(this.path, v as Record<string, unknown>, `${this.prefix}${key}.`);
  }

  keys(): string[] {
    return Object.keys(this.obj);
  }
}
