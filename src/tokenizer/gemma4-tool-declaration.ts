/**
 * An OpenAI-style tool definition → the Gemma 4 declaration text the E2B/E4B chat template writes inside
 * `<|tool>…<tool|>` (its `format_function_declaration` and `format_parameters` macros), quirks included so
 * the built-in formatter renders what the template renders:
 * - properties named description/type/properties/required/nullable are left out;
 * - a nested object writes `,properties:{` even when nothing came before it;
 * - `parameters` without a `type` leaves its brace open;
 * - a list `type` (["string", "null"]) uses its first entry.
 */
import type { FunctionDefinition, ToolDefinition } from "./chat-types.js";
import { formatGemma4Value, formatNumber, STRING_DELIMITER as Q } from "./gemma4-value-format.js";
import { dictsortEntries, pythonStrip } from "./python-string.js";

type Schema = { readonly [key: string]: unknown };

const STANDARD_KEYS = new Set(["description", "type", "properties", "required", "nullable"]);

/** Python truthiness (Jinja `{% if x %}`). */
export function isTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** How Jinja on Python prints a value with `{{ x }}` (undefined prints as nothing). */
export function pythonText(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null) return "None";
  return JSON.stringify(v);
}

function isMapping(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function quotedList(items: unknown): string {
  return Array.isArray(items) ? items.map((item) => Q + pythonText(item) + Q).join(",") : "";
}

function formatItems(value: Schema): string {
  const items = value["items"] as Schema;
  const parts: string[] = [];
  for (const [key, item] of dictsortEntries(items)) {
    if (item === null || item === undefined) continue;
    if (key === "properties") {
      const required = isMapping(items) ? items["required"] ?? [] : [];
      parts.push("properties:{" + (isMapping(item) ? formatParameters(item, required) : "") + "}");
    } else if (key === "required") {
      parts.push("required:[" + quotedList(item) + "]");
    } else if (key === "type") {
      const upper = typeof item === "string" ? item.toUpperCase() : Array.isArray(item) ? item.map((t) => pythonText(t).toUpperCase()) : item;
      parts.push("type:" + formatGemma4Value(upper, { quoteKeys: true }));
    } else {
      parts.push(key + ":" + formatGemma4Value(item, { quoteKeys: true }));
    }
  }
  return ",items:{" + parts.join(",") + "}";
}

/** The template's `format_parameters(properties, required)` (its `required` argument is unused there too). */
export function formatParameters(properties: Schema, _required?: unknown): string {
  const parts: string[] = [];
  for (const [key, raw] of dictsortEntries(properties)) {
    if (STANDARD_KEYS.has(key)) continue;
    const value: Schema = isMapping(raw) ? raw : {};
    let out = key + ":{";
    let addComma = false;
    if (isTruthy(value["description"])) {
      out += "description:" + Q + pythonText(value["description"]) + Q;
      addComma = true;
    }
    if (isTruthy(value["nullable"])) {
      if (addComma) out += ",";
      addComma = true;
      out += "nullable:true";
    }
    const rawType = value["type"];
    const type = pythonText(typeof rawType === "string" || !Array.isArray(rawType) ? rawType : rawType[0]).toUpperCase();
    if (type === "STRING") {
      if (isTruthy(value["enum"])) {
        if (addComma) out += ",";
        addComma = true;
        out += "enum:" + formatGemma4Value(value["enum"], { quoteKeys: true });
      }
    } else if (type === "OBJECT") {
      out += ",properties:{";
      const nested = value["properties"];
      out += isMapping(nested) ? formatParameters(nested, value["required"] ?? []) : formatParameters(value, value["required"] ?? []);
      out += "}";
      if (isTruthy(value["required"])) out += ",required:[" + quotedList(value["required"]) + "]";
    } else if (type === "ARRAY") {
      if (isMapping(value["items"]) && isTruthy(value["items"])) out += formatItems(value);
    }
    if (addComma) out += ",";
    out += "type:" + Q + type + Q + "}";
    parts.push(out);
  }
  return parts.join(",");
}

/** The template's `format_function_declaration(tool)`, trimmed as the template trims it. */
export function formatToolDeclaration(tool: ToolDefinition): string {
  const fn: FunctionDefinition = tool.function;
  let out = "declaration:" + pythonText(fn.name) + "{description:" + Q + pythonText(fn.description) + Q;
  const params = fn.parameters as Schema | undefined;
  if (isTruthy(params) && params) {
    out += ",parameters:{";
    if (isTruthy(params["properties"])) out += "properties:{" + formatParameters(params["properties"] as Schema, params["required"]) + "},";
    if (isTruthy(params["required"])) out += "required:[" + quotedList(params["required"]) + "],";
    if (isTruthy(params["type"])) out += "type:" + Q + pythonText(params["type"]).toUpperCase() + Q + "}";
  }
  if ("response" in fn) {
    const response = (fn.response ?? {}) as Schema;
    out += ",response:{";
    if (isTruthy(response["description"])) out += "description:" + Q + pythonText(response["description"]) + Q + ",";
    if (pythonText(response["type"]).toUpperCase() === "OBJECT") out += "type:" + Q + "OBJECT" + Q + "}";
  }
  out += "}";
  return pythonStrip(out);
}
