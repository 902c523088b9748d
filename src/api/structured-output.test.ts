import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Ajv } from "ajv";
import { writeChatTestModel } from "../testing/chat-test-model.js";
import { loadModel } from "./load-model.js";
import type { Model } from "./model.js";

const dir = mkdtempSync(join(tmpdir(), "gemma4-structured-"));
let model: Model;
before(async () => { model = await loadModel(writeChatTestModel(dir), { maxContext: 512 }); });
after(() => { model.dispose(); rmSync(dir, { recursive: true, force: true }); });

const schema = {
  type: "object",
  properties: { name: { type: "string" }, age: { type: "integer" }, tags: { type: "array", items: { enum: ["a", "b"] } } },
  required: ["name", "age", "tags"],
  additionalProperties: false,
};

async function answer(request: Parameters<Model["chat"]>[0]): Promise<{ content: string; reasoning: string; finish: string }> {
  let content = "";
  let reasoning = "";
  let finish = "";
  for await (const e of model.chat(request)) {
    if (e.type === "content") content += e.text;
    if (e.type === "reasoning") reasoning += e.text;
    if (e.type === "done") finish = e.finishReason;
  }
  return { content, reasoning, finish };
}

describe("structured output through Model.chat", () => {
  it("json_schema answers from a random-weight model parse and validate, sampled with several seeds", async () => {
    const validate = new Ajv().compile(schema);
    for (let seed = 0; seed < 4; seed++) {
      const { content, finish } = await answer({ messages: [{ role: "user", content: "Describe a sailor." }], responseFormat: { type: "json_schema", schema }, temperature: 1, seed, maxNewTokens: 120 });
      const value: unknown = JSON.parse(content);
      assert.ok(validate(value), `${content}: ${JSON.stringify(validate.errors)}`);
      assert.equal(finish, "stop");
    }
  });

  it("json_object gives an object; bad schemas are 400-style errors", async () => {
    const { content } = await answer({ messages: [{ role: "user", content: "Anything" }], responseFormat: { type: "json_object" }, temperature: 1, seed: 9, maxNewTokens: 80 });
    const value: unknown = JSON.parse(content);
    assert.ok(typeof value === "object" && value !== null && !Array.isArray(value));
    await assert.rejects(answer({ messages: [{ role: "user", content: "x" }], responseFormat: { type: "json_schema", schema: { type: "string", pattern: "a+" } } }), /pattern/);
  });

  it("with thinking on, a thought channel may come first and the answer is still valid JSON", async () => {
    const { content } = await answer({ messages: [{ role: "user", content: "Describe a sailor." }], thinking: true, responseFormat: { type: "json_schema", schema }, temperature: 1, seed: 2, maxNewTokens: 150 });
    assert.ok(new Ajv().compile(schema)(JSON.parse(content)));
  });
});
