import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { startTestServer, type TestServer } from "../../testing/test-server.js";

type TokenChoice = { token_ids: number[]; finish_reason: string | null; logprobs: { token_logprobs: number[] } | null };

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Opens a streamed completion with fetch and reads `chunks` events, then leaves the stream open. */
async function openStream(url: string, body: Record<string, unknown>, controller: AbortController, chunks: number): Promise<void> {
  const res = await fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ stream: true, ...body }), signal: controller.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  let seen = 0;
  let text = "";
  while (seen < chunks) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    seen = text.split("\n\n").filter((e) => e.startsWith("data: {")).length;
  }
}

describe("POST /v1/completions (token-id prompts)", () => {
  let t: TestServer;
  let client: OpenAI;
  before(async () => {
    // A long context, so that the full-queue test's streams cannot end before its setup is done on a slow machine.
    t = await startTestServer({ maxBatch: 4, maxQueue: 1 }, { tokenizer: false, maxPositions: 8192 });
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(async () => { await t.close(); });

  it("greedy completion equals the engine's own generation; streaming gives the same tokens", async () => {
    const prompt = [2, 101, 202, 303];
    const expected = Array.from(await t.model.generate(prompt, { greedy: true, maxNewTokens: 8, stopTokenIds: [] }));
    const res = await client.completions.create({ model: t.modelId, prompt, max_tokens: 8, temperature: 0, stop_token_ids: [] } as never);
    const choice = res.choices[0] as unknown as TokenChoice;
    assert.deepEqual(choice.token_ids, expected);
    assert.equal(choice.finish_reason, "length");
    assert.deepEqual(res.usage, { prompt_tokens: 4, completion_tokens: 8, total_tokens: 12 });

    const stream = await client.completions.create({ model: t.modelId, prompt, max_tokens: 8, temperature: 0, stop_token_ids: [], stream: true, stream_options: { include_usage: true } } as never) as unknown as AsyncIterable<{ choices: TokenChoice[]; usage?: { completion_tokens: number } | null }>;
    const streamed: number[] = [];
    let usage = null;
    for await (const chunk of stream) {
      for (const c of chunk.choices) streamed.push(...c.token_ids);
      if (chunk.usage) usage = chunk.usage;
    }
    assert.deepEqual(streamed, expected);
    assert.equal(usage!.completion_tokens, 8);
  });

  it("n choices, several prompts, stop token ids and logprobs", async () => {
    const prompt = [2, 55, 66];
    const greedy = Array.from(await t.model.generate(prompt, { greedy: true, maxNewTokens: 6, stopTokenIds: [] }));
    const stopAt = greedy[2]!;
    const res = await client.completions.create({ model: t.modelId, prompt: [prompt, [2, 7]], n: 2, max_tokens: 6, temperature: 0, logprobs: 0, stop_token_ids: [stopAt] } as never);
    assert.equal(res.choices.length, 4);
    const first = res.choices[0] as unknown as TokenChoice;
    assert.deepEqual(first.token_ids, greedy.slice(0, greedy.indexOf(stopAt) + 1));
    assert.equal(first.finish_reason, "stop");
    assert.deepEqual((res.choices[1] as unknown as TokenChoice).token_ids, first.token_ids, "greedy choices agree");
    assert.equal(first.logprobs!.token_logprobs.length, first.token_ids.length);
    assert.ok(first.logprobs!.token_logprobs.every((lp) => lp <= 0 && Number.isFinite(lp)));
    const sampled = await client.completions.create({ model: t.modelId, prompt, n: 2, max_tokens: 6, temperature: 1, seed: 5, stop_token_ids: [] } as never);
    const again = await client.completions.create({ model: t.modelId, prompt, n: 2, max_tokens: 6, temperature: 1, seed: 5, stop_token_ids: [] } as never);
    assert.deepEqual(again.choices.map((c) => (c as unknown as TokenChoice).token_ids), sampled.choices.map((c) => (c as unknown as TokenChoice).token_ids), "seeded sampling is reproducible");
  });

  it("text prompts and stop strings need a tokenizer: a 400 naming the field", async () => {
    await assert.rejects(client.completions.create({ model: t.modelId, prompt: "hello" }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "prompt");
    await assert.rejects(client.completions.create({ model: t.modelId, prompt: [2, 3], stop: "x" }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "stop");
    await assert.rejects(client.completions.create({ model: t.modelId, prompt: [2, 3], n: 5 }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "n");
    await assert.rejects(client.completions.create({ model: t.modelId, prompt: [2, 99999] }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "prompt" && /outside the vocabulary/.test(e.message));
  });

  it("a full queue answers 429 with Retry-After; a client that disconnects is cancelled and its KV memory freed", async () => {
    const long = { model: t.modelId, prompt: [2, 9, 8, 7], max_tokens: 8000, temperature: 0, stop_token_ids: [] };
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const cancelledBefore = await t.metric("gemma4_cancelled_requests_total");
    // 4 streams fill the batch (maxBatch 4); a 5th request waits (maxQueue 1); a 6th is refused.
    await Promise.all(controllers.slice(0, 4).map((c) => openStream(t.url, long, c, 2)));
    assert.equal(t.model.kvCacheStats.sessions, 4);
    assert.ok(await t.metric("gemma4_kv_cache_bytes") > 0);
    const queued = fetch(`${t.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(long), signal: controllers[4]!.signal }).catch(() => null);
    await waitFor(async () => await t.metric("gemma4_queue_depth") === 1, "the queued request");
    await assert.rejects(client.completions.create({ ...long, max_tokens: 1 } as never), (e: unknown) => e instanceof OpenAI.RateLimitError && Number(e.headers?.get("retry-after")) >= 1);

    for (const c of controllers) c.abort();
    await queued;
    await waitFor(() => t.model.kvCacheStats.sessions === 0, "every session disposed");
    await waitFor(async () => await t.metric("gemma4_kv_cache_bytes") === 0 && await t.metric("gemma4_queue_depth") === 0 && await t.metric("gemma4_active_requests") === 0, "metrics back to zero");
    assert.equal(await t.metric("gemma4_cancelled_requests_total") - cancelledBefore, 5);
    // The server still works afterwards.
    const res = await client.completions.create({ model: t.modelId, prompt: [2, 3], max_tokens: 2 });
    assert.equal(res.choices.length, 1);
  });
});

describe("a generation that fails mid-stream", () => {
  it("ends the stream with an OpenAI error event, logs the server fault, and frees the session", async () => {
    const logs: string[] = [];
    const t = await startTestServer({ log: (line) => logs.push(line) }, { tokenizer: false }, (model) => {
      // The model's own stream, failing after its third token (as a lost device or a bad weight would).
      const wrapped = Object.create(model) as typeof model;
      Object.defineProperty(wrapped, "enableBatching", { value: model.enableBatching.bind(model) });
      Object.defineProperty(wrapped, "stream", {
        async *value(...args: Parameters<typeof model.stream>) {
          let n = 0;
          for await (const token of model.stream(...args)) {
            yield token;
            if (++n === 3) throw new Error("the weights went missing");
          }
        },
      });
      return wrapped;
    });
    try {
      const res = await fetch(`${t.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: t.modelId, prompt: [2, 9, 8], max_tokens: 50, temperature: 0, stream: true }) });
      assert.equal(res.status, 200, "the 200 went out with the first token");
      const events = (await res.text()).split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => e.slice(6));
      const last = JSON.parse(events.at(-1)!) as { error?: { message: string; type: string } };
      assert.equal(events.filter((e) => e.includes('"choices"')).length, 3, "three tokens, then the error");
      assert.equal(last.error?.type, "server_error", events.at(-1));
      assert.ok(!events.includes("[DONE]"));
      assert.equal(logs.filter((l) => /\/v1\/completions stream failed: Error: the weights went missing/.test(l)).length, 1, logs.join("\n"));
      await waitFor(() => t.model.kvCacheStats.sessions === 0, "the session disposed");
    } finally {
      await t.close();
    }
  });
});
