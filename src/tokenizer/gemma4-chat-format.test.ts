import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../engine/rng.js";
import { BadRequestError } from "../errors.js";
import { chatRows, gemma4TemplateSource } from "../testing/tokenizer-fixtures.js";
import { JinjaChatTemplate } from "./chat-template.js";
import type { ChatFormatOptions, ChatMessage, ContentPart, JsonValue, ToolDefinition } from "./chat-types.js";
import { renderGemma4Chat, stripThinking } from "./gemma4-chat-format.js";
import { formatToolDeclaration } from "./gemma4-tool-declaration.js";

const TOKENS = { bos_token: "<bos>", eos_token: "<eos>" };

describe("built-in Gemma 4 format", () => {
  it("matches the E2B/E4B template on every fixture row", () => {
    const rows = chatRows("gemma4-chat.jsonl").filter((r) => r.template === "gemma4-e-it.jinja");
    assert.equal(rows.length, 8);
    for (const row of rows) {
      const out = renderGemma4Chat(row.messages, {
        tools: row.tools ?? null,
        addGenerationPrompt: row.add_generation_prompt,
        ...(row.enable_thinking === undefined ? {} : { enableThinking: row.enable_thinking }),
      });
      assert.equal(out, row.rendered, JSON.stringify(row.messages));
    }
  });

  it("writes the declaration text the template writes for each fixture tool", () => {
    for (const row of chatRows("gemma4-chat.jsonl")) {
      for (const tool of row.tools ?? []) assert.ok(row.rendered!.includes(`<|tool>${formatToolDeclaration(tool)}<tool|>`), tool.function.name);
    }
  });

  it("matches the E2B/E4B template (rendered by @huggingface/jinja) on 400 seeded random conversations", () => {
    const template = new JinjaChatTemplate(gemma4TemplateSource("gemma4-e-it.jinja"));
    const rng = new SeededRandom(2024);
    let withTools = 0;
    for (let n = 0; n < 400; n++) {
      const { messages, options } = randomConversation(rng);
      if (options.tools) withTools++;
      const expected = template.render(messages, TOKENS, options);
      assert.equal(renderGemma4Chat(messages, options), expected, `case ${n}: ${JSON.stringify({ messages, options })}`);
    }
    assert.ok(withTools > 100);
  });

  it("strips thought channels from model turns as the template does", () => {
    assert.equal(stripThinking("  <|channel>thought\nhmm<channel|>Answer  "), "Answer");
    assert.equal(stripThinking("a<|channel>x<channel|>b<|channel>y<channel|>c"), "abc");
    assert.equal(stripThinking("no channel"), "no channel");
  });

  it("rejects an empty conversation", () => {
    assert.throws(() => renderGemma4Chat([]), BadRequestError);
  });
});

// ---- random conversations (the subset where Python jinja2 and @huggingface/jinja agree: no null, which
// Python prints as None and JS as "", no floats below 1e-4, whose Python repr differs, only ASCII spaces)

const WORDS = ["hello", "Paris", "x", "é中😀", "a:b", "{braces}", "\"quoted\"", "comma,", "Key", "key", "new\nline", "tab\t", "  padded  "];

function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[rng.nextUint32() % items.length]!;
}

function chance(rng: SeededRandom, p: number): boolean {
  return rng.nextFloat() < p;
}

function text(rng: SeededRandom, max = 4): string {
  const n = 1 + (rng.nextUint32() % max);
  return Array.from({ length: n }, () => pick(rng, WORDS)).join(pick(rng, [" ", "", "\n"]));
}

function key(rng: SeededRandom): string {
  return pick(rng, ["a", "B", "b", "A", "zeta", "Alpha", "alpha", "n_1", "limit", "query", "x-y", "émoji"]);
}

function value(rng: SeededRandom, depth: number): JsonValue {
  const r = rng.nextUint32() % (depth > 2 ? 4 : 6);
  if (r === 0) return text(rng, 2);
  if (r === 1) return pick(rng, [0, 3, -17, 123456789, 2 ** 40, 1.5, -2.25, 0.001, 3.14159]);
  if (r === 2) return chance(rng, 0.5);
  if (r === 3) return text(rng, 1);
  if (r === 4) return Array.from({ length: rng.nextUint32() % 4 }, () => value(rng, depth + 1));
  const out: Record<string, JsonValue> = {};
  for (let i = rng.nextUint32() % 4; i > 0; i--) out[key(rng)] = value(rng, depth + 1);
  return out;
}

function object(rng: SeededRandom): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (let i = rng.nextUint32() % 4; i > 0; i--) out[key(rng)] = value(rng, 1);
  return out;
}

function property(rng: SeededRandom, depth: number): Record<string, unknown> {
  const type = pick(rng, depth > 1 ? ["string", "integer", "number", "boolean"] : ["string", "integer", "number", "boolean", "object", "array", "STRING"]);
  const p: Record<string, unknown> = { type: chance(rng, 0.1) ? [type, "null"] : type };
  if (chance(rng, 0.7)) p["description"] = text(rng, 3);
  if (chance(rng, 0.2)) p["nullable"] = true;
  if (type === "string" && chance(rng, 0.3)) p["enum"] = [text(rng, 1), text(rng, 1)];
  if (type === "object") {
    if (chance(rng, 0.8)) p["properties"] = properties(rng, depth + 1);
    if (chance(rng, 0.5)) p["required"] = [key(rng)];
  }
  if (type === "array" && chance(rng, 0.8)) {
    const items: Record<string, unknown> = { type: pick(rng, ["string", "object", "integer"]) };
    if (chance(rng, 0.4)) items["description"] = text(rng, 2);
    if (items["type"] === "object") {
      items["properties"] = properties(rng, depth + 1);
      if (chance(rng, 0.5)) items["required"] = [key(rng)];
    }
    if (chance(rng, 0.2)) items["enum"] = ["u", "v"];
    p["items"] = items;
  }
  return p;
}

function properties(rng: SeededRandom, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 1 + (rng.nextUint32() % 3); i > 0; i--) out[pick(rng, ["location", "unit", "Limit", "query", "opts", "items", "description", "a_b"])] = property(rng, depth);
  return out;
}

function tool(rng: SeededRandom, i: number): ToolDefinition {
  const fn: Record<string, unknown> = { name: `tool_${i}`, description: text(rng, 3) };
  if (chance(rng, 0.9)) {
    const parameters: Record<string, unknown> = { properties: properties(rng, 0) };
    if (chance(rng, 0.9)) parameters["type"] = "object";
    if (chance(rng, 0.6)) parameters["required"] = [pick(rng, ["location", "query"])];
    fn["parameters"] = parameters;
  }
  if (chance(rng, 0.2)) fn["response"] = chance(rng, 0.5) ? { type: "object", description: "result" } : { type: "string" };
  return { type: "function", function: fn as unknown as ToolDefinition["function"] };
}

function content(rng: SeededRandom, role: string): string | ContentPart[] {
  if (chance(rng, 0.25)) {
    const parts: ContentPart[] = [];
    for (let i = 1 + (rng.nextUint32() % 3); i > 0; i--) {
      parts.push(chance(rng, 0.6) ? { type: "text", text: text(rng) } : { type: pick(rng, ["image", "audio", "video"] as const) });
    }
    return parts;
  }
  const base = text(rng);
  return role === "assistant" && chance(rng, 0.3) ? `<|channel>thought\n${text(rng)}<channel|>${base}` : base;
}

function randomConversation(rng: SeededRandom): { messages: ChatMessage[]; options: ChatFormatOptions } {
  const messages: ChatMessage[] = [];
  if (chance(rng, 0.4)) messages.push({ role: pick(rng, ["system", "developer"]), content: text(rng) });
  for (let i = 1 + (rng.nextUint32() % 4); i > 0; i--) {
    const role = pick(rng, ["user", "assistant", "user", "assistant", "tool"]);
    const m: { -readonly [K in keyof ChatMessage]: ChatMessage[K] } = { role };
    if (role === "assistant" && chance(rng, 0.4)) {
      m.tool_calls = Array.from({ length: 1 + (rng.nextUint32() % 2) }, (_, j) => ({
        type: "function" as const,
        function: { name: `tool_${j}`, arguments: chance(rng, 0.9) ? object(rng) : `raw:${text(rng, 1)}` },
      }));
      if (chance(rng, 0.7)) m.tool_responses = [{ name: "tool_0", response: chance(rng, 0.6) ? object(rng) : value(rng, 1) }];
      if (chance(rng, 0.5)) m.content = content(rng, role);
    } else {
      m.content = content(rng, role);
    }
    messages.push(m);
  }
  const options: ChatFormatOptions = {
    ...(chance(rng, 0.4) ? { tools: Array.from({ length: 1 + (rng.nextUint32() % 3) }, (_, i) => tool(rng, i)) } : {}),
    ...(chance(rng, 0.6) ? { enableThinking: chance(rng, 0.5) } : {}),
    addGenerationPrompt: chance(rng, 0.8),
  };
  return { messages, options };
}
