import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BadRequestError, UnsupportedError } from "../errors.js";
import type { ChatEvent } from "../engine/chat-generation.js";
import { writeChatTestModel } from "../testing/chat-test-model.js";
import { HF_FIXTURES } from "../testing/fixtures.js";
import { loadModel } from "./load-model.js";
import type { Model } from "./model.js";

const dir = mkdtempSync(join(tmpdir(), "gemma4-chat-"));
let model: Model;
before(async () => { model = await loadModel(writeChatTestModel(dir), { maxContext: 256 }); });
after(() => { model.dispose(); rmSync(dir, { recursive: true, force: true }); });

async function collect<T>(events: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe("text requests: chat, complete, embed", () => {
  it("chat streams tokens and text that add up, with usage and a finish reason", async () => {
    const events = await collect(model.chat({ messages: [{ role: "user", content: "Hello there" }], greedy: true, maxNewTokens: 12, topLogprobs: 3 }));
    const done = events.at(-1)!;
    assert.equal(done.type, "done");
    if (done.type !== "done") return;
    const tokens = events.filter((e): e is Extract<ChatEvent, { type: "token" }> => e.type === "token");
    assert.equal(done.usage.completionTokens, tokens.length);
    const prompt = model.chatFormatter.encode([{ role: "user", content: "Hello there" }]);
    assert.equal(done.usage.promptTokens, prompt.length);
    for (const t of tokens) {
      assert.equal(t.top!.length, 3);
      assert.equal(t.top![0]!.id, t.id, "greedy picks the most likely token");
      assert.ok(Math.abs(t.top![0]!.logprob - t.logprob) < 1e-9);
      assert.ok(t.top![1]!.logprob <= t.top![0]!.logprob);
    }
    // Same tokens as the id-level API on the same prompt.
    const ids = await model.generate(prompt, { greedy: true, maxNewTokens: 12, stopTokenIds: [1, 5, 13] });
    assert.deepEqual(tokens.map((t) => t.id), Array.from(ids));
    assert.ok(["stop", "length"].includes(done.finishReason));
  });

  it("completions: text equals the decoded tokens; stop strings cut the text", async () => {
    const events = await collect(model.complete({ prompt: "The ship", greedy: true, maxNewTokens: 16, stopTokenIds: [] }));
    const text = events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text).join("");
    const ids = events.filter((e) => e.type === "token").map((e) => (e as { id: number }).id);
    assert.equal(ids.length, 16);
    assert.equal(text, model.tokenizer!.decode(ids, { skipSpecialTokens: true }));
    const cutAt = text.slice(3, 5);
    if (cutAt.length === 2) {
      const stopped = await collect(model.complete({ prompt: "The ship", greedy: true, maxNewTokens: 16, stopTokenIds: [], stop: [cutAt] }));
      const stoppedText = stopped.filter((e) => e.type === "text").map((e) => (e as { text: string }).text).join("");
      assert.equal(stoppedText, text.slice(0, text.indexOf(cutAt)));
      assert.equal((stopped.at(-1) as { finishReason: string }).finishReason, "stop");
    }
  });

  it("never truncates silently: prompt + max_tokens beyond the context is a 400-style error with the numbers", async () => {
    await assert.rejects(collect(model.chat({ messages: [{ role: "user", content: "hi" }], maxNewTokens: 1000 })),
      (e: unknown) => e instanceof BadRequestError && e.field === "max_tokens" && /plus max_tokens \(1000\) is \d+ tokens, more than the context of 256 tokens/.test(e.message));
    await assert.rejects(collect(model.complete({ prompt: "word ".repeat(400) })), (e: unknown) => e instanceof BadRequestError && /leaves no room/.test(e.message));
  });

  it("tool_choice: a named function is forced into the answer; unknown names and none-with-required are rejected", async () => {
    const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const events = await collect(model.chat({ messages: [{ role: "user", content: "Weather?" }], tools, toolChoice: { name: "get_weather" }, greedy: true, maxNewTokens: 8 }));
    // Random weights cannot finish the call; what matters is that the forced start was applied and parsed as a call.
    assert.ok(events.some((e) => e.type === "invalid_tool_call" || e.type === "tool_call"), "the forced call is reported");
    await assert.rejects(collect(model.chat({ messages: [{ role: "user", content: "x" }], tools, toolChoice: { name: "nope" } })), /not among the tools/);
    await assert.rejects(collect(model.chat({ messages: [{ role: "user", content: "x" }], toolChoice: "required" })), /requires tools/);
  });

  it("tool_choice required: the answer names one of the tools and opens its arguments, greedy or sampled", async () => {
    const parameters = { type: "object", properties: { city: { type: "string" } } };
    const tools = [{ type: "function" as const, function: { name: "get_weather", parameters } }, { type: "function" as const, function: { name: "get_time", parameters } }];
    const names = new Set<string>();
    for (const sampling of [{ greedy: true }, ...[1, 2, 3, 4, 5, 6].map((seed) => ({ temperature: 1.5, seed }))]) {
      const events = await collect(model.chat({ messages: [{ role: "user", content: "Weather?" }], tools, toolChoice: "required", maxNewTokens: 10, ...sampling }));
      const ids = events.filter((e): e is Extract<ChatEvent, { type: "token" }> => e.type === "token").map((e) => e.id);
      const text = model.tokenizer!.decode(ids, { skipSpecialTokens: false });
      const name = /^(get_weather|get_time)\{/.exec(text)?.[1];
      assert.ok(name, `a tool's name and "{" first, not ${JSON.stringify(text)} (${JSON.stringify(sampling)})`);
      names.add(name);
    }
    assert.ok(names.size >= 1);
  });

  it("embeddings are unit vectors of the hidden size; equal inputs give equal vectors", async () => {
    const [a, b, c] = await model.embed(["a whale", [2, 100, 200], "a whale"]);
    assert.equal(a!.length, model.config.hiddenDim);
    assert.ok(Math.abs(Math.hypot(...a!) - 1) < 1e-5);
    assert.deepEqual(Array.from(a!), Array.from(c!));
    assert.notDeepEqual(Array.from(a!), Array.from(b!));
  });

  it("models without a tokenizer take ids only", async () => {
    const idsOnly = await loadModel(join(HF_FIXTURES, "gemma3"));
    assert.equal(idsOnly.tokenizer, null);
    assert.throws(() => idsOnly.chat({ messages: [{ role: "user", content: "x" }] }), UnsupportedError);
    idsOnly.dispose();
  });
});
