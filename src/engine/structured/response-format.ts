/**
 * Turns a request's response format into a grammar: `{type: "text"}` (or none) → null;
 * `{type: "json_object"}` → any JSON object; `{type: "json_schema", json_schema: {schema}}` (the OpenAI
 * shape) or `{type: "json_schema", schema}` → the compiled schema. Errors name the offending field.
 */
import { BadRequestError } from "../../errors.js";
import { compileJsonObjectGrammar, compileJsonSchema, type JsonGrammarOptions } from "./json-schema-compiler.js";
import type { JsonGrammar } from "./json-grammar.js";

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function compileResponseFormat(format: unknown, options: JsonGrammarOptions = {}): JsonGrammar | null {
  if (format === undefined || format === null) return null;
  if (!isRecord(format)) throw new BadRequestError("response_format must be an object", "response_format");
  switch (format["type"]) {
    case "text":
      return null;
    case "json_object":
      return compileJsonObjectGrammar(options);
    case "json_schema": {
      const wrapper = format["json_schema"];
      const schema = isRecord(wrapper) ? wrapper["schema"] : format["schema"];
      if (schema === undefined) throw new BadRequestError("response_format.json_schema.schema is missing", "response_format.json_schema.schema");
      return compileJsonSchema(schema, options);
    }
    default:
      throw new BadRequestError(`response_format.type ${JSON.stringify(format["type"])} is not one of "text", "json_object", "json_schema"`, "response_format.type");
  }
}
