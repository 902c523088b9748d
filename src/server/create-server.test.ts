import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { FIXTURES } from "../testing/fixtures.js";
import { startTestServer, type TestServer } from "../testing/test-server.js";
import { isLoopbackHost } from "./create-server.js";

const KEY = "sk-test-key-1";

describe("server: protocol, auth, limits", () => {
  let t: TestServer;
  let client: OpenAI;
  before(async () => {
    t = await startTestServer({ apiKeys: [KEY, "second-key"], maxBodyBytes: 64 * 1024, corsOrigins: ["http://app.example"] }, { tokenizer: false });
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: KEY, maxRetries: 0 });
  });
  after(async () => { await t.close(); });

  it("lists the one served model and answers /health", async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ["test-model"]);
    assert.equal((await client.models.retrieve("test-model")).id, "test-model");
    const health = await (await fetch(`${t.url}/health`)).json() as { status: string; model: string };
    assert.deepEqual([health.status, health.model], ["ok", "test-model"]);
  });

  it("a wrong or missing key is a 401 in OpenAI's error shape; either configured key works", async () => {
    const wrong = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "sk-test-key-2", maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError && e.status === 401 && e.code === "invalid_api_key");
    const res = await fetch(`${t.url}/v1/models`);
    assert.equal(res.status, 401);
    const body = await res.json() as { error: { type: string; message: string } };
    assert.equal(body.error.type, "authentication_error");
    const prefix = await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}x` } });
    assert.equal(prefix.status, 401);
    const second = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "second-key", maxRetries: 0 });
    assert.equal((await second.models.list()).data.length, 1);
    // /metrics needs the key too; /health and the page do not.
    assert.equal((await fetch(`${t.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${t.url}/`)).status, 200);
  });

  it("an oversized body is a 413", async () => {
    const huge = Array.from({ length: 40_000 }, () => 7);
    await assert.rejects(client.completions.create({ model: "test-model", prompt: huge, max_tokens: 1 }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 413 && /too large/.test(e.message));
  });

  it("a bad field is a 400 that names it", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ max_tokens: "5" }, "max_tokens", /max_tokens must be integer/],
      [{ temperature: 7 }, "temperature", /temperature must be <= 2/],
      [{ bogus: 1 }, "bogus", /unrecognized request argument: bogus/],
      [{ n: 0 }, "n", /n must be >= 1/],
      [{ stop: ["a", "b", "c", "d", "e"] }, "stop", /stop/],
    ];
    for (const [extra, param, message] of cases) {
      await assert.rejects(client.completions.create({ model: "test-model", prompt: [2, 10], ...extra } as never),
        (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === param && message.test(e.message), JSON.stringify(extra));
    }
    await assert.rejects(client.chat.completions.create({ model: "test-model", messages: [{ role: "wizard", content: "hi" }] } as never),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "messages[0].role" && /allowed values/.test(e.message));
    await assert.rejects(client.chat.completions.create({ model: "test-model" } as never),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "messages" && /messages is required/.test(e.message));
    const notJson = await fetch(`${t.url}/v1/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: "{nope" });
    assert.equal(notJson.status, 400);
    assert.equal((await notJson.json() as { error: { type: string } }).error.type, "invalid_request_error");
  });

  it("an over-long prompt or max_tokens is a 400 that says the numbers; nothing is truncated", async () => {
    const prompt = Array.from({ length: 1000 }, (_, i) => 20 + (i % 100));
    await assert.rejects(client.completions.create({ model: "test-model", prompt, max_tokens: 100 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "max_tokens" && /1000 tokens\) \+ max_tokens \(100\) = 1100 tokens exceeds this server's context of 1024/.test(e.message));
    await assert.rejects(client.completions.create({ model: "test-model", prompt: [...prompt, ...prompt.slice(0, 30)] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "prompt" && /1030 tokens/.test(e.message));
  });

  it("a model name other than the served one is a 404 and never a path", async () => {
    for (const name of ["../../etc/passwd", "/tmp", "other-model"]) {
      await assert.rejects(client.completions.create({ model: name, prompt: [2], max_tokens: 1 }),
        (e: unknown) => e instanceof OpenAI.NotFoundError && e.code === "model_not_found");
    }
    await assert.rejects(client.models.retrieve("../x"), (e: unknown) => e instanceof OpenAI.NotFoundError);
  });

  it("unknown routes are 404s; CORS answers only the configured origin", async () => {
    const res = await fetch(`${t.url}/v2/nothing`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 404);
    const preflight = await fetch(`${t.url}/v1/chat/completions`, { method: "OPTIONS", headers: { origin: "http://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } });
    assert.ok(preflight.status < 300);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "http://app.example");
    const other = await fetch(`${t.url}/v1/models`, { headers: { origin: "http://evil.example", authorization: `Bearer ${KEY}` } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  it("/metrics is Prometheus text with the request, token, latency, queue, batch and KV series", async () => {
    await client.completions.create({ model: "test-model", prompt: [2, 30, 40], max_tokens: 3, temperature: 0 });
    const text = await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
    for (const name of ["gemma4_http_requests_total", "gemma4_prompt_tokens_total", "gemma4_generated_tokens_total", "gemma4_time_to_first_token_seconds_bucket",
      "gemma4_time_per_output_token_seconds_bucket", "gemma4_queue_depth", "gemma4_batch_size_bucket", "gemma4_kv_cache_bytes", "gemma4_cancelled_requests_total"]) {
      assert.match(text, new RegExp(`^${name}`, "m"), name);
    }
    assert.match(text, /^gemma4_http_requests_total\{route="\/v1\/completions",status="200"\} [1-9]/m);
    assert.match(text, /^gemma4_http_requests_total\{route="\/v1\/models",status="401"\} [1-9]/m);
    assert.ok(await t.metric("gemma4_generated_tokens_total", KEY) >= 3);
  });
});

describe("server: binding and TLS", () => {
  it("knows loopback addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1"]) assert.ok(isLoopbackHost(host), host);
    for (const host of ["0.0.0.0", "::", "192.168.1.4", "example.com"]) assert.ok(!isLoopbackHost(host), host);
  });

  it("warns when it listens on a public address with no key", async () => {
    const lines: string[] = [];
    const t = await startTestServer({ host: "0.0.0.0", log: (l) => lines.push(l) }, { tokenizer: false });
    try {
      assert.ok(lines.some((l) => /WARNING: .*0\.0\.0\.0.*no API key/.test(l)), lines.join("\n"));
    } finally {
      await t.close();
    }
  });

  it("serves HTTPS when given a certificate", async () => {
    const dir = join(FIXTURES, "server");
    const cert = readFileSync(join(dir, "localhost-cert.pem"));
    const t = await startTestServer({ tls: { cert, key: readFileSync(join(dir, "localhost-key.pem")) } }, { tokenizer: false });
    try {
      assert.match(t.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(`${t.url}/health`, { ca: cert }, (res) => {
          let text = "";
          res.on("data", (d: Buffer) => { text += d.toString(); });
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end();
      });
      assert.equal((JSON.parse(body) as { status: string }).status, "ok");
    } finally {
      await t.close();
    }
  });
});
