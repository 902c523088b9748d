/**
 * Gemma 4 value syntax → JSON (the inverse of gemma4-value-format.ts). Strings run from `<|"|>` to the next
 * `<|"|>` and may hold any other text (`}`, `,`, `:`, quotes, newlines, `<tool_call|>`); keys are bare text up
 * to `:` (without `{}[],<>"` or line breaks) or `<|"|>`-wrapped; numbers are JSON numbers (also `+1`, `.5`, `1.`); `true` / `false` / `null`
 * (and Python's `True` / `False` / `None`, which the template's Python rendering can put in history).
 * Leniencies that cannot change the meaning of well-formed input: whitespace between items, a trailing
 * comma, and JSON `"…"` strings.
 *
 * Never throws: failures are results, and `eof` says the text ended before the value did (a streaming
 * caller then waits for more). Nesting deeper than MAX_DEPTH is an error, not a stack overflow.
 */
import type { JsonValue } from "./chat-types.js";
import { STRING_DELIMITER } from "./gemma4-value-format.js";

export const MAX_DEPTH = 256;

export type ValueParse =
  | { readonly ok: true; readonly value: JsonValue; readonly end: number }
  | { readonly ok: false; readonly error: string; readonly offset: number; readonly eof: boolean };

type Failure = Extract<ValueParse, { ok: false }>;

class ParseFailure {
  constructor(readonly failure: Failure) {}
}

const LITERALS: ReadonlyMap<string, JsonValue> = new Map<string, JsonValue>([
  ["true", true], ["false", false], ["null", null], ["True", true], ["False", false], ["None", null],
]);
const NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const BARE_KEY_STOP = /[{}[\],<>"\n\r]/;

class Parser {
  /** `final`: the text is complete, so a number or literal may end it. */
  constructor(readonly text: string, readonly final: boolean) {}

  fail(offset: number, error: string, eof = false): never {
    throw new ParseFailure({ ok: false, error, offset, eof });
  }

  skipSpace(i: number): number {
    while (i < this.text.length && /\s/.test(this.text[i]!)) i++;
    return i;
  }

  /** Whether `marker` starts at i: true, false, or "eof" when the text ends inside a matching prefix. */
  startsWith(marker: string, i: number): boolean | "eof" {
    const rest = this.text.length - i;
    if (rest >= marker.length) return this.text.startsWith(marker, i);
    return rest > 0 && marker.startsWith(this.text.slice(i)) ? "eof" : false;
  }

  value(i: number, depth: number): [JsonValue, number] {
    i = this.skipSpace(i);
    if (i >= this.text.length) this.fail(i, "expected a value", true);
    if (depth > MAX_DEPTH) this.fail(i, `values nested more than ${MAX_DEPTH} deep`);
    const ch = this.text[i]!;
    if (ch === "{") return this.object(i, depth);
    if (ch === "[") return this.array(i, depth);
    if (ch === '"') return this.jsonString(i);
    const delimited = this.startsWith(STRING_DELIMITER, i);
    if (delimited === "eof") this.fail(i, "text ends inside a string delimiter", true);
    if (delimited) return this.delimitedString(i);
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(this.text);
    if (number) return this.finishBare(i, number[0], Number(number[0]));
    WORD.lastIndex = i;
    const word = WORD.exec(this.text);
    if (word && LITERALS.has(word[0])) return this.finishBare(i, word[0], LITERALS.get(word[0])!);
    if (word && [...LITERALS.keys()].some((l) => l.startsWith(word[0])) && i + word[0].length === this.text.length) this.fail(i, "text ends inside a literal", true);
    return this.fail(i, `unexpected ${JSON.stringify(this.text.slice(i, i + 12))} where a value should be (strings need <|"|> delimiters)`);
  }

  /** A number or literal must be followed by a separator; at the end of text it may still grow. */
  finishBare(i: number, token: string, value: JsonValue): [JsonValue, number] {
    const end = i + token.length;
    if (end >= this.text.length) {
      if (!this.final) this.fail(i, `text ends after ${JSON.stringify(token)}`, true);
      return this.checkNumber(i, token, value, end);
    }
    const next = this.text[end]!;
    if (!/[\s,}\]]/.test(next)) this.fail(end, `unexpected ${JSON.stringify(this.text.slice(i, end + 8))} (unquoted text in a value)`);
    return this.checkNumber(i, token, value, end);
  }

  checkNumber(i: number, token: string, value: JsonValue, end: number): [JsonValue, number] {
    if (typeof value === "number" && !Number.isFinite(value)) this.fail(i, `number ${token} is out of range`);
    return [value, end];
  }

  delimitedString(i: number): [string, number] {
    const start = i + STRING_DELIMITER.length;
    const close = this.text.indexOf(STRING_DELIMITER, start);
    if (close < 0) this.fail(i, "string is not closed with <|\"|>", true);
    return [this.text.slice(start, close), close + STRING_DELIMITER.length];
  }

  jsonString(i: number): [string, number] {
    let j = i + 1;
    while (j < this.text.length && this.text[j] !== '"') j += this.text[j] === "\\" ? 2 : 1;
    if (j >= this.text.length) this.fail(i, "string is not closed with \"", true);
    try {
      return [JSON.parse(this.text.slice(i, j + 1)) as string, j + 1];
    } catch {
      return this.fail(i, "bad escape in a \"…\" string");
    }
  }

  key(i: number): [string, number] {
    const delimited = this.startsWith(STRING_DELIMITER, i);
    if (delimited === "eof") this.fail(i, "text ends inside a key", true);
    const quoted = delimited ? this.delimitedString(i) : this.text[i] === '"' ? this.jsonString(i) : null;
    if (quoted) {
      const colon = this.skipSpace(quoted[1]);
      if (colon >= this.text.length) this.fail(colon, "text ends after a key", true);
      if (this.text[colon] !== ":") this.fail(colon, `expected ":" after key ${JSON.stringify(quoted[0])}`);
      return [quoted[0], colon + 1];
    }
    let j = i;
    // Bare keys stop at characters that cannot be in one, so a broken call cannot swallow the text after it.
    while (j < this.text.length && this.text[j] !== ":") {
      if (BARE_KEY_STOP.test(this.text[j]!)) this.fail(j, `expected "key:" but found ${JSON.stringify(this.text.slice(i, j + 1))}`);
      j++;
    }
    if (j >= this.text.length) this.fail(i, "text ends inside a key", true);
    const key = this.text.slice(i, j).trim();
    if (key === "") this.fail(i, "empty key");
    return [key, j + 1];
  }

  object(i: number, depth: number): [JsonValue, number] {
    const out: Record<string, JsonValue> = {};
    let j = this.skipSpace(i + 1);
    for (;;) {
      if (j >= this.text.length) this.fail(j, "object is not closed with }", true);
      if (this.text[j] === "}") return [out, j + 1];
      const [key, afterKey] = this.key(j);
      const [value, afterValue] = this.value(afterKey, depth + 1);
      // defineProperty: a "__proto__" key must become data, not the object's prototype.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      j = this.skipSpace(afterValue);
      if (j >= this.text.length) this.fail(j, "object is not closed with }", true);
      if (this.text[j] === ",") j = this.skipSpace(j + 1);
      else if (this.text[j] !== "}") this.fail(j, `expected "," or "}" but found ${JSON.stringify(this.text.slice(j, j + 12))}`);
    }
  }

  array(i: number, depth: number): [JsonValue, number] {
    const out: JsonValue[] = [];
    let j = this.skipSpace(i + 1);
    for (;;) {
      if (j >= this.text.length) this.fail(j, "array is not closed with ]", true);
      if (this.text[j] === "]") return [out, j + 1];
      const [value, afterValue] = this.value(j, depth + 1);
      out.push(value);
      j = this.skipSpace(afterValue);
      if (j >= this.text.length) this.fail(j, "array is not closed with ]", true);
      if (this.text[j] === ",") j = this.skipSpace(j + 1);
      else if (this.text[j] !== "]") this.fail(j, `expected "," or "]" but found ${JSON.stringify(this.text.slice(j, j + 12))}`);
    }
  }
}

export interface ValueParseOptions {
  /** The text is complete (default true); false when more may follow (streaming), so a trailing number may grow. */
  readonly final?: boolean;
}

function run(text: string, start: number, options: ValueParseOptions, parse: (p: Parser) => [JsonValue, number]): ValueParse {
  try {
    const [value, end] = parse(new Parser(text, options.final ?? true));
    return { ok: true, value, end };
  } catch (e) {
    if (e instanceof ParseFailure) return e.failure;
    if (e instanceof RangeError) return { ok: false, error: "value is nested too deeply", offset: start, eof: false };
    throw e;
  }
}

/** Parses one value starting at `start` (leading whitespace allowed); `end` is just past it. */
export function parseGemma4Value(text: string, start = 0, options: ValueParseOptions = {}): ValueParse {
  return run(text, start, options, (p) => p.value(start, 0));
}

/** Parses an object `{…}` starting exactly at `start`. */
export function parseGemma4Object(text: string, start = 0, options: ValueParseOptions = {}): ValueParse {
  return run(text, start, options, (p) => {
    if (start >= text.length) p.fail(start, "expected {", true);
    if (text[start] !== "{") p.fail(start, `expected { but found ${JSON.stringify(text.slice(start, start + 12))}`);
    return p.object(start, 0);
  });
}
