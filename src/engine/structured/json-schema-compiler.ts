/**
 * Compiles a JSON Schema (the subset OpenAI structured outputs accepts) or `json_object` mode into a
 * JsonGrammar. Supported: type (one or a list), properties / required / additionalProperties (false, true
 * or absent), items / minItems / maxItems, enum / const (any JSON values), anyOf, $ref into the document
 * ($defs, definitions, or any JSON pointer; recursion allowed through objects and arrays), boolean schemas,
 * and annotations (description, title, default, examples, ...), which are ignored. Anything else is a
 * BadRequestError naming the keyword and its schema path.
 *
 * What the model may write (every such output validates against the schema):
 * - Object properties appear in the order the schema lists them; optional ones may be left out; only
 *   listed properties are written (additionalProperties true allows more, but none are generated).
 *   An object schema with no properties (and additionalProperties not false) accepts any object. A
 *   schema without "type" but with object (array) keywords is taken as an object (array); without
 *   either, as any JSON value.
 * - enum/const strings and numbers are written in canonical JSON.stringify form (`1`, not `1.0`).
 * - Whitespace and number limits: see json-fragments.ts.
 */
import { BadRequestError } from "../../errors.js";
import { ByteNfa } from "./byte-nfa.js";
import type { GrammarRule } from "./grammar-rule.js";
import { JsonGrammar } from "./json-grammar.js";
import { buildStringRule, literals, number, utf8, whitespace, type WhitespacePolicy } from "./json-fragments.js";

export interface JsonGrammarOptions {
  /** "pretty" (default): bounded whitespace between tokens; "compact": none. */
  readonly whitespace?: WhitespacePolicy;
}

const STRING_RULE = 0;
const MAX_ARRAY_BOUND = 1000;
const TYPES = ["object", "array", "string", "number", "integer", "boolean", "null"] as const;
type JsonType = (typeof TYPES)[number];
const IGNORED = new Set(["title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly", "$schema", "$defs", "definitions"]);
const OBJECT_KEYWORDS = ["properties", "required", "additionalProperties"];
const ARRAY_KEYWORDS = ["items", "minItems", "maxItems"];
const SUPPORTED = new Set(["type", "enum", "const", "anyOf", "$ref", ...OBJECT_KEYWORDS, ...ARRAY_KEYWORDS]);

type Schema = Readonly<Record<string, unknown>>;

interface Property {
  readonly key: string;
  readonly schema: unknown;
  readonly required: boolean;
  readonly path: string;
}

function isRecord(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const pointerPart = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1");

function fail(path: string, message: string): never {
  throw new BadRequestError(`response schema at ${path}: ${message}`, path);
}

function jsonTypeOf(v: unknown): JsonType {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "string" || typeof v === "boolean" || typeof v === "object") return typeof v as JsonType;
  return "null";
}

/** Compiles a JSON Schema into a grammar; throws BadRequestError for anything it cannot enforce. */
export function compileJsonSchema(schema: unknown, options: JsonGrammarOptions = {}): JsonGrammar {
  return new SchemaCompiler(schema, options.whitespace ?? "pretty").compile("json_schema");
}

/** `json_object` mode: any JSON object. */
export function compileJsonObjectGrammar(options: JsonGrammarOptions = {}): JsonGrammar {
  return new SchemaCompiler({ type: "object" }, options.whitespace ?? "pretty").compile("json_object");
}

class SchemaCompiler {
  private readonly rules: (GrammarRule | null)[] = [buildStringRule()];
  private readonly ruleMemo = new Map<object, Map<string, number>>();
  private readonly typedCopies = new WeakMap<object, Schema>();
  private anyObject = -1;
  private anyArray = -1;
  /** $ref targets being inlined into the rule under construction: a repeat is left recursion. */
  private inlining = new Set<object>();

  constructor(
    private readonly root: unknown,
    private readonly ws: WhitespacePolicy,
  ) {}

  compile(description: string): JsonGrammar {
    const root = this.newRule("#", (nfa, start) => this.emit(nfa, start, this.root, "#"));
    return new JsonGrammar(this.rules.map((r) => r as GrammarRule), root, description);
  }

  /** Allocates a rule index before building its body, so the body may call the rule recursively. */
  private newRule(name: string, body: (nfa: ByteNfa, start: number) => number, memo?: [object, string]): number {
    const index = this.rules.length;
    this.rules.push(null);
    if (memo) {
      const byKind = this.ruleMemo.get(memo[0]) ?? new Map<string, number>();
      byKind.set(memo[1], index);
      this.ruleMemo.set(memo[0], byKind);
    }
    const outer = this.inlining;
    this.inlining = new Set();
    const nfa = new ByteNfa();
    const start = nfa.newState();
    const end = body(nfa, start);
    this.rules[index] = nfa.toRule(start, end, name);
    this.inlining = outer;
    return index;
  }

  private memoized(schema: object, kind: string): number | undefined {
    return this.ruleMemo.get(schema)?.get(kind);
  }

  /** Emits the values `schema` accepts from NFA state `from`; returns the state after one. */
  private emit(nfa: ByteNfa, from: number, schema: unknown, path: string): number {
    if (schema === true) return this.anyValue(nfa, from);
    if (schema === false) fail(path, "is `false`, which no value matches");
    if (!isRecord(schema)) fail(path, "must be a schema object or a boolean");
    for (const key of Object.keys(schema)) {
      if (!SUPPORTED.has(key) && !IGNORED.has(key)) fail(path, `keyword "${key}" is not supported for structured output`);
    }
    if ("$ref" in schema) return this.emitRef(nfa, from, schema, path);
    if ("anyOf" in schema) return this.emitAnyOf(nfa, from, schema, path);
    const types = this.typesOf(schema, path);
    if (!("type" in schema)) {
      // No type: keywords of one kind say which (any other value would satisfy them vacuously, but an
      // object/array with arbitrary content might not).
      const object = Object.keys(schema).some((k) => OBJECT_KEYWORDS.includes(k));
      const array = Object.keys(schema).some((k) => ARRAY_KEYWORDS.includes(k));
      if (object && array) fail(path, "mixes object and array keywords without a \"type\"");
      if (object || array) {
        // One typed copy per schema object, so rules memoized by object identity still find it.
        let typed = this.typedCopies.get(schema);
        if (!typed) this.typedCopies.set(schema, (typed = { ...schema, type: object ? "object" : "array" }));
        return this.emit(nfa, from, typed, path);
      }
    }
    if ("enum" in schema || "const" in schema) {
      const end = nfa.newState();
      for (const value of this.literalValues(schema, types, path)) nfa.epsilon(this.emitConst(nfa, from, value), end);
      return end;
    }
    for (const key of Object.keys(schema)) {
      if (OBJECT_KEYWORDS.includes(key) && !types.has("object")) fail(path, `uses "${key}" but its type does not include "object"`);
      if (ARRAY_KEYWORDS.includes(key) && !types.has("array")) fail(path, `uses "${key}" but its type does not include "array"`);
    }
    if (!("type" in schema)) return this.anyValue(nfa, from);
    const end = nfa.newState();
    for (const type of types) {
      switch (type) {
        case "object":
          nfa.call(from, this.objectRule(schema, path), end);
          break;
        case "array":
          nfa.call(from, this.arrayRule(schema, path), end);
          break;
        case "string":
          nfa.call(from, STRING_RULE, end);
          break;
        case "number":
        case "integer":
          if (type === "number" || !types.has("number")) nfa.epsilon(number(nfa, from, type === "integer"), end);
          break;
        case "boolean":
          nfa.epsilon(literals(nfa, from, [utf8("true"), utf8("false")]), end);
          break;
        case "null":
          nfa.epsilon(literals(nfa, from, [utf8("null")]), end);
          break;
        default: {
          const unreachable: never = type;
          fail(path, `has unknown type ${String(unreachable)}`);
        }
      }
    }
    return end;
  }

  /** Keywords that must stand alone (besides annotations): $ref and anyOf. */
  private alone(schema: Schema, keyword: string, path: string): void {
    for (const key of Object.keys(schema)) {
      if (key !== keyword && !IGNORED.has(key)) fail(path, `combines "${keyword}" with "${key}", which is not supported`);
    }
  }

  private emitRef(nfa: ByteNfa, from: number, schema: Schema, path: string): number {
    this.alone(schema, "$ref", path);
    const ref = schema["$ref"];
    if (typeof ref !== "string") fail(`${path}/$ref`, "must be a string");
    const target = this.resolve(ref, path);
    if (!isRecord(target)) return this.emit(nfa, from, target, ref);
    if (this.inlining.has(target)) fail(path, `$ref "${ref}" recurses without passing through an object or array`);
    this.inlining.add(target);
    const end = this.emit(nfa, from, target, ref);
    this.inlining.delete(target);
    return end;
  }

  private resolve(ref: string, path: string): unknown {
    if (!ref.startsWith("#")) fail(`${path}/$ref`, `"${ref}" points outside the schema; only "#..." references are supported`);
    let pointer: string;
    try {
      pointer = decodeURIComponent(ref.slice(1));
    } catch {
      fail(`${path}/$ref`, `"${ref}" is not a valid URI fragment`);
    }
    if (pointer === "") return this.root;
    if (!pointer.startsWith("/")) fail(`${path}/$ref`, `"${ref}" is not a JSON pointer (anchors are not supported)`);
    let node: unknown = this.root;
    for (const raw of pointer.slice(1).split("/")) {
      const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      if (Array.isArray(node) && /^\d+$/.test(part) && Number(part) < node.length) node = node[Number(part)];
      else if (isRecord(node) && Object.hasOwn(node, part)) node = node[part];
      else fail(`${path}/$ref`, `"${ref}" does not resolve to anything in the schema`);
    }
    return node;
  }

  private emitAnyOf(nfa: ByteNfa, from: number, schema: Schema, path: string): number {
    this.alone(schema, "anyOf", path);
    const options = schema["anyOf"];
    if (!Array.isArray(options) || options.length === 0) fail(`${path}/anyOf`, "must be a non-empty array");
    const end = nfa.newState();
    options.forEach((option, i) => nfa.epsilon(this.emit(nfa, from, option, `${path}/anyOf/${i}`), end));
    return end;
  }

  private typesOf(schema: Schema, path: string): Set<JsonType> {
    const type = schema["type"];
    if (type === undefined) return new Set(TYPES);
    const list = Array.isArray(type) ? type : [type];
    if (list.length === 0) fail(`${path}/type`, "must not be empty");
    for (const t of list) if (!(TYPES as readonly unknown[]).includes(t)) fail(`${path}/type`, `has unknown type ${JSON.stringify(t)}`);
    return new Set(list as JsonType[]);
  }

  /** enum and/or const values allowed by `types`. */
  private literalValues(schema: Schema, types: Set<JsonType>, path: string): unknown[] {
    for (const key of Object.keys(schema)) {
      if (key !== "enum" && key !== "const" && key !== "type" && !IGNORED.has(key)) fail(path, `combines "enum"/"const" with "${key}", which is not supported`);
    }
    let values: unknown[] | undefined;
    if ("enum" in schema) {
      const e = schema["enum"];
      if (!Array.isArray(e) || e.length === 0) fail(`${path}/enum`, "must be a non-empty array");
      values = e;
    }
    if ("const" in schema) {
      const c = JSON.stringify(schema["const"]);
      values = values ? values.filter((v) => JSON.stringify(v) === c) : [schema["const"]];
    }
    const seen = new Set<string>();
    const kept = (values ?? []).filter((v) => {
      const t = jsonTypeOf(v);
      const text = JSON.stringify(v);
      if (typeof text !== "string" || seen.has(text) || (!types.has(t) && !(t === "integer" && types.has("number")))) return false;
      seen.add(text);
      return true;
    });
    if (kept.length === 0) fail(path, "has no enum/const value that matches its type");
    return kept;
  }

  /**
   * Exactly `value`: scalars in canonical JSON.stringify form, objects (keys in their order) and arrays
   * with the same whitespace as any other object or array.
   */
  private emitConst(nfa: ByteNfa, from: number, value: unknown): number {
    if (Array.isArray(value)) {
      let at = whitespace(nfa, nfa.literal(from, utf8("[")), this.ws);
      value.forEach((item, i) => {
        if (i > 0) at = whitespace(nfa, nfa.literal(at, utf8(",")), this.ws);
        at = whitespace(nfa, this.emitConst(nfa, at, item), this.ws);
      });
      return nfa.literal(at, utf8("]"));
    }
    if (isRecord(value)) {
      let at = whitespace(nfa, nfa.literal(from, utf8("{")), this.ws);
      Object.entries(value).forEach(([key, item], i) => {
        if (i > 0) at = whitespace(nfa, nfa.literal(at, utf8(",")), this.ws);
        at = whitespace(nfa, nfa.literal(at, utf8(JSON.stringify(key))), this.ws);
        at = whitespace(nfa, nfa.literal(at, utf8(":")), this.ws);
        at = whitespace(nfa, this.emitConst(nfa, at, item), this.ws);
      });
      return nfa.literal(at, utf8("}"));
    }
    return nfa.literal(from, utf8(JSON.stringify(value)));
  }

  private objectRule(schema: Schema, path: string): number {
    const memo = this.memoized(schema, "object");
    if (memo !== undefined) return memo;
    const properties = schema["properties"] ?? {};
    if (!isRecord(properties)) fail(`${path}/properties`, "must be an object");
    const required = schema["required"] ?? [];
    if (!Array.isArray(required) || !required.every((r) => typeof r === "string")) fail(`${path}/required`, "must be an array of strings");
    const additional = schema["additionalProperties"];
    if (additional !== undefined && typeof additional !== "boolean") {
      fail(`${path}/additionalProperties`, "must be true or false; schemas for additional properties are not supported");
    }
    const list: Property[] = Object.entries(properties).map(([key, value]) => ({
      key,
      schema: value,
      required: required.includes(key),
      path: `${path}/properties/${pointerPart(key)}`,
    }));
    for (const key of new Set(required as string[])) {
      if (Object.hasOwn(properties, key)) continue;
      if (additional === false) fail(`${path}/required`, `names "${key}", which is not in properties (and additionalProperties is false)`);
      list.push({ key, schema: true, required: true, path: `${path}/required` });
    }
    if (list.length === 0 && additional !== false) return this.anyObjectRule();
    return this.newRule(path, (nfa, start) => this.objectBody(nfa, start, list), [schema, "object"]);
  }

  /** `{` the properties in schema order, optional ones skippable, `}`. */
  private objectBody(nfa: ByteNfa, start: number, list: readonly Property[]): number {
    const n = list.length;
    const end = nfa.newState();
    const noRequiredFrom: boolean[] = new Array<boolean>(n + 1).fill(true);
    for (let i = n - 1; i >= 0; i--) noRequiredFrom[i] = (noRequiredFrom[i + 1] ?? true) && !list[i]?.required;
    const keyChoices = Array.from({ length: n + 1 }, () => nfa.newState());
    const open = whitespace(nfa, nfa.literal(start, utf8("{")), this.ws);
    nfa.epsilon(open, keyChoices[0]);
    if (noRequiredFrom[0]) nfa.byte(open, 0x7d, end);
    list.forEach((property, j) => {
      const here = keyChoices[j];
      if (!property.required) nfa.epsilon(here, keyChoices[j + 1]);
      const afterKey = whitespace(nfa, nfa.literal(here, utf8(JSON.stringify(property.key))), this.ws);
      const colon = whitespace(nfa, nfa.literal(afterKey, utf8(":")), this.ws);
      const afterValue = whitespace(nfa, this.emit(nfa, colon, property.schema, property.path), this.ws);
      if (j + 1 < n) nfa.epsilon(whitespace(nfa, nfa.literal(afterValue, utf8(",")), this.ws), keyChoices[j + 1]);
      if (noRequiredFrom[j + 1]) nfa.byte(afterValue, 0x7d, end);
    });
    return end;
  }

  private arrayRule(schema: Schema, path: string): number {
    const memo = this.memoized(schema, "array");
    if (memo !== undefined) return memo;
    const items = schema["items"] ?? true;
    if (Array.isArray(items)) fail(`${path}/items`, "must be a schema (tuple arrays are not supported)");
    const bound = (key: string): number | null => {
      const v = schema[key];
      if (v === undefined) return null;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(`${path}/${key}`, "must be a non-negative integer");
      if (v > MAX_ARRAY_BOUND) fail(`${path}/${key}`, `is above ${MAX_ARRAY_BOUND}, which is not supported`);
      return v;
    };
    const min = bound("minItems") ?? 0;
    const max = bound("maxItems");
    if (max !== null && max < min) fail(path, `has maxItems ${max} below minItems ${min}`);
    const itemPath = `${path}/items`;
    return this.newRule(path, (nfa, start) => {
      const end = nfa.newState();
      const open = whitespace(nfa, nfa.literal(start, utf8("[")), this.ws);
      if (min === 0) nfa.byte(open, 0x5d, end);
      if (max === 0) return end;
      // after[k]: k items written. Unbounded arrays loop once k reaches max(min, 1).
      let after = this.emit(nfa, open, items, itemPath);
      for (let k = 1; ; k++) {
        const gap = whitespace(nfa, after, this.ws);
        if (k >= min) nfa.byte(gap, 0x5d, end);
        if (max !== null && k === max) break;
        const next = whitespace(nfa, nfa.literal(gap, utf8(",")), this.ws);
        const item = this.emit(nfa, next, items, itemPath);
        if (max === null && k >= min) {
          nfa.epsilon(item, after);
          break;
        }
        after = item;
      }
      return end;
    }, [schema, "array"]);
  }

  /** Any JSON value, inline: strings, nested objects and arrays are calls. */
  private anyValue(nfa: ByteNfa, from: number): number {
    const end = nfa.newState();
    nfa.call(from, STRING_RULE, end);
    nfa.epsilon(number(nfa, from, false), end);
    nfa.epsilon(literals(nfa, from, [utf8("true"), utf8("false"), utf8("null")]), end);
    nfa.call(from, this.anyObjectRule(), end);
    nfa.call(from, this.anyArrayRule(), end);
    return end;
  }

  private anyObjectRule(): number {
    if (this.anyObject >= 0) return this.anyObject;
    this.anyObject = this.rules.length;
    return this.newRule("any object", (nfa, start) => {
      const end = nfa.newState();
      const open = whitespace(nfa, nfa.literal(start, utf8("{")), this.ws);
      nfa.byte(open, 0x7d, end);
      const key = nfa.newState();
      nfa.epsilon(open, key);
      const afterKey = nfa.newState();
      nfa.call(key, STRING_RULE, afterKey);
      const colon = whitespace(nfa, nfa.literal(whitespace(nfa, afterKey, this.ws), utf8(":")), this.ws);
      const afterValue = whitespace(nfa, this.anyValue(nfa, colon), this.ws);
      nfa.byte(afterValue, 0x7d, end);
      nfa.epsilon(whitespace(nfa, nfa.literal(afterValue, utf8(",")), this.ws), key);
      return end;
    });
  }

  private anyArrayRule(): number {
    if (this.anyArray >= 0) return this.anyArray;
    this.anyArray = this.rules.length;
    return this.newRule("any array", (nfa, start) => {
      const end = nfa.newState();
      const open = whitespace(nfa, nfa.literal(start, utf8("[")), this.ws);
      nfa.byte(open, 0x5d, end);
      const item = nfa.newState();
      nfa.epsilon(open, item);
      const afterItem = whitespace(nfa, this.anyValue(nfa, item), this.ws);
      nfa.byte(afterItem, 0x5d, end);
      nfa.epsilon(whitespace(nfa, nfa.literal(afterItem, utf8(",")), this.ws), item);
      return end;
    });
  }
}
