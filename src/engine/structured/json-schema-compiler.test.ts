import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BadRequestError } from "../../errors.js";
import { compileJsonSchema } from "./json-schema-compiler.js";
import { compileResponseFormat } from "./response-format.js";

function rejects(schema: unknown, pattern: RegExp): void {
  assert.throws(
    () => compileJsonSchema(schema),
    (e: unknown) => e instanceof BadRequestError && pattern.test(e.message) && !e.message.includes("\n"),
  );
}

describe("compileJsonSchema: rejected schemas name the keyword and path", () => {
  it("unsupported keywords", () => {
    rejects({ type: "object", properties: { s: { type: "string", pattern: "^a" } } }, /#\/properties\/s: keyword "pattern" is not supported/);
    rejects({ type: "number", minimum: 0 }, /at #: keyword "minimum"/);
    rejects({ allOf: [{ type: "string" }] }, /keyword "allOf"/);
    rejects({ oneOf: [{ type: "string" }] }, /keyword "oneOf"/);
    rejects({ type: "string", format: "date-time" }, /keyword "format"/);
    rejects({ type: "array", items: { type: "string" }, uniqueItems: true }, /keyword "uniqueItems"/);
  });
  it("unsupported forms of supported keywords", () => {
    rejects({ type: "object", additionalProperties: { type: "string" } }, /#\/additionalProperties: must be true or false/);
    rejects({ type: "array", items: [{ type: "string" }] }, /#\/items: must be a schema \(tuple/);
    rejects({ type: "strin" }, /#\/type: has unknown type "strin"/);
    rejects({ type: "array", minItems: 3, maxItems: 2 }, /maxItems 2 below minItems 3/);
    rejects({ type: "array", maxItems: 5000 }, /#\/maxItems: is above 1000/);
    rejects({ type: "string", properties: {} }, /uses "properties" but its type does not include "object"/);
    rejects({ anyOf: [] }, /#\/anyOf: must be a non-empty array/);
    rejects({ type: "string", anyOf: [{ type: "string" }] }, /combines "anyOf" with "type"/);
    rejects({ enum: ["a"], properties: {} }, /combines "enum"\/"const" with "properties"/);
    rejects({ type: "integer", enum: [1.5, "a"] }, /no enum\/const value that matches its type/);
    rejects({ properties: {}, items: {} }, /mixes object and array keywords without a "type"/);
    rejects(false, /is `false`/);
    rejects(42, /must be a schema object or a boolean/);
  });
  it("required names outside properties when nothing else is allowed", () => {
    rejects({ type: "object", properties: { a: { type: "string" } }, required: ["b"], additionalProperties: false }, /#\/required: names "b"/);
    assert.doesNotThrow(() => compileJsonSchema({ type: "object", properties: { a: { type: "string" } }, required: ["b"] }));
  });
  it("bad references", () => {
    rejects({ $ref: "https://example.com/s.json" }, /points outside the schema/);
    rejects({ $ref: "#/$defs/missing" }, /"#\/\$defs\/missing" does not resolve/);
    rejects({ $ref: "#anchor" }, /anchors are not supported/);
    rejects({ $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" }, /recurses without passing through an object or array/);
    rejects({ $defs: { a: { anyOf: [{ $ref: "#/$defs/a" }, { type: "null" }] } }, $ref: "#/$defs/a" }, /recurses without passing/);
  });
  it("schemas with no finite instance", () => {
    rejects(
      { $defs: { n: { type: "object", properties: { next: { $ref: "#/$defs/n" } }, required: ["next"], additionalProperties: false } }, $ref: "#/$defs/n" },
      /no finite instance/,
    );
  });
  it("accepts annotations, definitions and pointer escapes", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "t",
      description: "d",
      definitions: { "a/b": { type: "string", description: "x", default: "q", examples: ["e"] } },
      type: "object",
      properties: { s: { $ref: "#/definitions/a~1b" } },
      required: ["s"],
      additionalProperties: false,
    };
    assert.doesNotThrow(() => compileJsonSchema(schema));
  });
});

describe("compileResponseFormat", () => {
  it("maps the response format shapes", () => {
    assert.equal(compileResponseFormat(undefined), null);
    assert.equal(compileResponseFormat({ type: "text" }), null);
    assert.equal(compileResponseFormat({ type: "json_object" })?.description, "json_object");
    assert.equal(compileResponseFormat({ type: "json_schema", json_schema: { name: "x", strict: true, schema: { type: "object" } } })?.description, "json_schema");
    assert.equal(compileResponseFormat({ type: "json_schema", schema: { type: "object" } })?.description, "json_schema");
  });
  it("names the offending field", () => {
    assert.throws(() => compileResponseFormat({ type: "xml" }), (e: unknown) => e instanceof BadRequestError && e.field === "response_format.type");
    assert.throws(() => compileResponseFormat({ type: "json_schema" }), (e: unknown) => e instanceof BadRequestError && e.field === "response_format.json_schema.schema");
    assert.throws(() => compileResponseFormat("json"), BadRequestError);
  });
});
