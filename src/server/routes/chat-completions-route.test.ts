import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Ajv } from "ajv";
import OpenAI from "openai";
import type { ChatEvent, ChatRequest } from "../../engine/chat-generation.js";
import { scriptedToolModel } from "../../testing/scripted-tool-model.js";
import { foldToolMessages } from "../../tokenizer/fold-tool-messages.js";
import { startTestServer, type TestServer } from "../../testing/test-server.js";

const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

async function collect(events: AsyncGenerator<ChatEvent>): Promise<{ content: string; ids: number[] }> {
  let content = "";
  const ids: number[] = [];
  for await (const e of events) {
    if (e.type === "content") content += e.text;
    if (e.type === "token") ids.push(e.id);
  }
  return { content, ids };
}

function logSoftmaxAt(row: Float32Array, id: number): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return row[id]! - max - Math.log(sum);
}

describe("POST /v1/chat/completions and /v1/embeddings", () => {
  let t: TestServer;
  let client: OpenAI;
  let toolRequests: ChatRequest[] = [];
  before(async () => {
    // Requests with tools get the scripted weather call/answer (see scripted-tool-model.ts); others are the model's own.
    t = await startTestServer({ maxBatch: 4 }, { size: "tiny" }, (model) => {
      const scripted = scriptedToolModel(model);
      toolRequests = scripted.toolRequests;
      return scripted.model;
    });
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(async () => { await t.close(); });

  const messages = [{ role: "system" as const, content: "Answer briefly." }, { role: "user" as const, content: "Tell me about the sea." }];

  it("plain chat equals the model's own chat; streamed deltas add up to the same answer, with usage", async () => {
    const direct = await collect(t.model.chat({ messages, greedy: true, maxNewTokens: 10 }));
    const res = await client.chat.completions.create({ model: t.modelId, messages, temperature: 0, max_tokens: 10 });
    const choice = res.choices[0]!;
    assert.equal(choice.message.role, "assistant");
    assert.equal(choice.message.content, direct.content);
    assert.ok(["stop", "length"].includes(choice.finish_reason));
    assert.equal(res.usage!.completion_tokens, direct.ids.length);
    assert.ok(res.usage!.prompt_tokens > 10);

    const stream = await client.chat.completions.create({ model: t.modelId, messages, temperature: 0, max_tokens: 10, stream: true, stream_options: { include_usage: true } });
    let content = "";
    let role: string | undefined;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      for (const c of chunk.choices) {
        role ??= c.delta.role ?? undefined;
        content += c.delta.content ?? "";
        finish = c.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(role, "assistant");
    assert.equal(content, direct.content);
    assert.equal(finish, choice.finish_reason);
    assert.deepEqual(usage, res.usage);
    assert.ok(chunks >= 3, "the answer arrives in pieces");
  });

  it("n choices with a seed are reproducible and independent", async () => {
    const ask = () => client.chat.completions.create({ model: t.modelId, messages, n: 2, seed: 42, temperature: 1, max_tokens: 6 });
    const [a, b] = [await ask(), await ask()];
    assert.equal(a.choices.length, 2);
    assert.deepEqual(a.choices.map((c) => c.message.content), b.choices.map((c) => c.message.content));
    assert.deepEqual(a.choices.map((c) => c.index), [0, 1]);
  });

  it("logprobs belong to the returned tokens: their texts make the answer, values match an independent forward pass", async () => {
    const direct = await collect(t.model.chat({ messages, greedy: true, maxNewTokens: 8 }));
    const res = await client.chat.completions.create({ model: t.modelId, messages, temperature: 0, max_tokens: 8, logprobs: true, top_logprobs: 3 });
    const entries = res.choices[0]!.logprobs!.content!;
    assert.equal(entries.length, res.usage!.completion_tokens);
    assert.ok(direct.ids.every((id) => id > 15), "precondition: the greedy answer has no control tokens (else the texts would not add up)");
    assert.equal(entries.map((e) => e.token).join(""), res.choices[0]!.message.content);
    // Independent check: log-softmax of the logits of one causal pass over prompt + answer.
    const prompt = t.model.chatFormatter.encode(messages);
    const all = [...prompt, ...direct.ids];
    const logits = await t.model.logits(all);
    const V = t.model.config.vocabSize;
    entries.forEach((e, i) => {
      const row = logits.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V);
      assert.ok(Math.abs(e.logprob - logSoftmaxAt(row, direct.ids[i]!)) < 1e-4, `token ${i}`);
      assert.equal(e.top_logprobs.length, 3);
      assert.ok(e.top_logprobs[0]!.logprob >= e.top_logprobs[1]!.logprob && e.top_logprobs[1]!.logprob >= e.top_logprobs[2]!.logprob);
      assert.equal(e.top_logprobs[0]!.token, e.token, "greedy: the chosen token is the most likely");
      assert.deepEqual(e.bytes, [...Buffer.from(e.token, "utf8")]);
    });
    // Streamed: the logprobs ride on the chunks whose text they make.
    const stream = await client.chat.completions.create({ model: t.modelId, messages, temperature: 0, max_tokens: 8, logprobs: true, stream: true });
    let text = "";
    let tokens = "";
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        text += c.delta.content ?? "";
        tokens += (c.logprobs?.content ?? []).map((e) => e.token).join("");
      }
    }
    assert.equal(tokens, text);
  });

  it("a tool round trip: the model calls get_weather, gets the result, and answers", async () => {
    toolRequests.length = 0;
    const user = { role: "user" as const, content: "What is the weather in Paris?" };
    const first = await client.chat.completions.create({ model: t.modelId, messages: [user], tools: [WEATHER_TOOL], temperature: 0 });
    const choice = first.choices[0]!;
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, null);
    const call = choice.message.tool_calls![0]!;
    assert.equal(call.type, "function");
    assert.match(call.id, /^call_/);
    assert.equal(call.type === "function" && call.function.name, "get_weather");
    assert.deepEqual(call.type === "function" && JSON.parse(call.function.arguments), { city: "Paris" });

    const second = await client.chat.completions.create({
      model: t.modelId,
      tools: [WEATHER_TOOL],
      temperature: 0,
      messages: [user, choice.message, { role: "tool", tool_call_id: call.id, content: JSON.stringify({ sky: "sunny", celsius: 21 }) }],
    });
    assert.equal(second.choices[0]!.message.content, "It is sunny in Paris.");
    assert.equal(second.choices[0]!.finish_reason, "stop");
    // The call went back to the model with its arguments as an object, the result as a tool message, and the
    // prompt holds both in Gemma 4's form (call and response inside the model's turn).
    const last = toolRequests.at(-1)!;
    assert.deepEqual(last.messages[1]!.tool_calls![0]!.function.arguments, { city: "Paris" });
    assert.equal(last.messages[2]!.role, "tool");
    const prompt = t.model.chatFormatter.render(foldToolMessages(last.messages), { tools: last.tools ?? null });
    assert.match(prompt, /<\|tool_call>call:get_weather\{city:<\|"\|>Paris<\|"\|>\}<tool_call\|><\|tool_response>response:get_weather\{celsius:21,sky:<\|"\|>sunny<\|"\|>\}<tool_response\|>/);

    // Streamed, the call arrives as one tool_calls delta.
    const stream = await client.chat.completions.create({ model: t.modelId, messages: [user], tools: [WEATHER_TOOL], stream: true });
    const deltas: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) for (const c of chunk.choices) { deltas.push(...(c.delta.tool_calls ?? [])); finish = c.finish_reason ?? finish; }
    assert.equal(finish, "tool_calls");
    assert.deepEqual(deltas.map((d) => [d.index, d.function?.name, d.function?.arguments]), [[0, "get_weather", '{"city":"Paris"}']]);

    await assert.rejects(client.chat.completions.create({ model: t.modelId, messages: [user, { role: "tool", tool_call_id: "nope", content: "1" }] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "messages" && /messages\[1\] is a tool result/.test(e.message));
  });

  it("json_schema output validates against the schema", async () => {
    const schema = { type: "object", properties: { answer: { type: "string", enum: ["yes", "no"] } }, required: ["answer"], additionalProperties: false };
    const res = await client.chat.completions.create({ model: t.modelId, messages: [{ role: "user", content: "Is the sea blue?" }], max_tokens: 40, temperature: 0,
      response_format: { type: "json_schema", json_schema: { name: "verdict", schema, strict: true } } });
    const content = res.choices[0]!.message.content!;
    const validate = new Ajv().compile(schema);
    assert.ok(validate(JSON.parse(content)), `${content}: ${JSON.stringify(validate.errors)}`);
  });

  it("an over-long conversation or max_tokens is a 400 with the numbers", async () => {
    const long = "the sea and the ships ".repeat(300);
    await assert.rejects(client.chat.completions.create({ model: t.modelId, messages: [{ role: "user", content: long }] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "messages" && /context of 1024 tokens/.test(e.message));
    await assert.rejects(client.chat.completions.create({ model: t.modelId, messages, max_tokens: 1020 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "max_tokens" && /plus max_tokens \(1020\)/.test(e.message));
  });

  it("a client that drops a chat stream is cancelled and its KV cache freed", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: t.modelId, messages, max_tokens: 500, stream: true, seed: 1 }, { signal: controller.signal });
    let chunks = 0;
    try {
      for await (const _ of stream) if (++chunks === 3) controller.abort();
    } catch {
      // The client may end the iteration with an abort error or quietly.
    }
    assert.ok(chunks >= 3 && chunks < 100, `read ${chunks} chunks before dropping`);
    const end = Date.now() + 5000;
    while (t.model.kvCacheStats.sessions > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.model.kvCacheStats.sessions, 0);
    assert.ok(await t.metric('gemma4_cancelled_requests_total{route="/v1/chat/completions"}') >= 1);
  });

  it("embeddings: unit vectors, one per input, equal to the model's own (float and base64)", async () => {
    const res = await client.embeddings.create({ model: t.modelId, input: ["the sea", "the ships"] });
    assert.equal(res.data.length, 2);
    const direct = await t.model.embed(["the sea", "the ships"]);
    res.data.forEach((d, i) => {
      assert.equal(d.embedding.length, t.model.config.hiddenDim);
      assert.ok(Math.abs(Math.hypot(...d.embedding) - 1) < 1e-5);
      assert.ok(d.embedding.every((v, j) => Math.abs(v - direct[i]![j]!) < 1e-6));
    });
    const float = await client.embeddings.create({ model: t.modelId, input: [2, 100, 200], encoding_format: "float" });
    assert.equal(float.data[0]!.embedding.length, t.model.config.hiddenDim);
    assert.ok(res.usage.prompt_tokens > 0);
    await assert.rejects(client.embeddings.create({ model: t.modelId, input: "x", dimensions: 3 }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "dimensions");
    await assert.rejects(client.embeddings.create({ model: t.modelId, input: [] }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "input" && /input must NOT have fewer than 1 items/.test(e.message));
  });

  it("a value of none of a field's forms is told by its deepest fault: an image part is 'type must be text'", async () => {
    const image = [{ role: "user" as const, content: [{ type: "image_url" as const, image_url: { url: "http://example.com/a.png" } }] }];
    await assert.rejects(client.chat.completions.create({ model: t.modelId, messages: image }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "messages[0].content[0].type" && /must be equal to one of the allowed values \("text"\)/.test(e.message));
    await assert.rejects(client.chat.completions.create({ model: t.modelId, messages: [{ role: "user", content: [{ type: "text" } as never] }] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "messages[0].content[0].text" && /is required/.test(e.message));
  });
});
