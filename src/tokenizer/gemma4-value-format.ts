/**
 * JSON value → Gemma 4 value syntax, as the chat template's `format_argument` macro writes it
 * (gemma-architecture.md §4.14): strings wrapped in `<|"|>`, keys bare (or wrapped, for declarations),
 * objects `{k:v,…}` with keys in Jinja `dictsort` order, arrays `[…]`, numbers and booleans bare.
 *
 * Two deliberate choices where the template's Python rendering is not JSON: null is written `null` (Python
 * prints `None`; the HF response parser turns this syntax into JSON, and the parser here reads both), and
 * numbers follow Python's `repr` only where JS and Python differ for values JSON can carry (1e-05, not
 * 0.00001). An integral float such as 1.0 is written `1`: JSON numbers do not remember the difference.
 */
import { BadRequestError } from "../errors.js";
import { dictsortEntries } from "./python-string.js";

export const STRING_DELIMITER = '<|"|>';

export interface Gemma4FormatOptions {
  /** Wrap object keys in `<|"|>` too (the template does for tool declarations, not for calls/responses). */
  readonly quoteKeys?: boolean;
}

/**
 * Whether a key can be written bare and read back: the template writes every call/response key bare; keys
 * that could not be read back that way (holding `:`, brackets, quotes, `<`, `>`, line breaks, or outer
 * spaces) are wrapped in `<|"|>` instead, which the parser also accepts.
 */
export function isBareKey(key: string): boolean {
  return key !== "" && key.trim() === key && !/[:{}[\],<>"\n\r]/.test(key);
}

/** A number as Python's `str()` prints it (ints as digits, floats in `repr` form). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new BadRequestError(`${n} cannot be written in a Gemma 4 tool value (JSON has no ${n})`, "arguments");
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? String(n) : pythonExponent(n);
  const exponent = Number(n.toExponential().split("e")[1]);
  // Python's float repr switches to exponent notation below 1e-4 (JS only below 1e-6).
  return exponent < -4 ? pythonExponent(n) : String(n);
}

function pythonExponent(n: number): string {
  const [mantissa, exp] = n.toExponential().split("e") as [string, string];
  const sign = exp.startsWith("-") ? "-" : "+";
  const digits = exp.replace(/^[+-]/, "");
  return `${mantissa}e${sign}${digits.padStart(2, "0")}`;
}

export function formatGemma4Value(value: unknown, options: Gemma4FormatOptions = {}, depth = 0): string {
  if (depth > 512) throw new BadRequestError("tool value is nested more than 512 levels deep", "arguments");
  if (typeof value === "string") return STRING_DELIMITER + value + STRING_DELIMITER;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return formatNumber(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "[" + value.map((v) => formatGemma4Value(v, options, depth + 1)).join(",") + "]";
  if (typeof value === "object") {
    const parts = dictsortEntries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => (options.quoteKeys || !isBareKey(k) ? STRING_DELIMITER + k + STRING_DELIMITER : k) + ":" + formatGemma4Value(v, options, depth + 1));
    return "{" + parts.join(",") + "}";
  }
  throw new BadRequestError(`a ${typeof value} cannot be written in a Gemma 4 tool value`, "arguments");
}

/** The inside of an object's braces: `k:v,k:v` (how the template writes call arguments and responses). */
export function formatGemma4Fields(object: { readonly [key: string]: unknown }): string {
  const body = formatGemma4Value(object);
  return body.slice(1, -1);
}
