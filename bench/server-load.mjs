// Load test of `gemma4 serve` on loopback: one client vs 32 concurrent streaming clients, time to first
// token, RSS before and after, and 8 clients that disconnect mid-stream (their KV memory must be freed).
// The server runs as a child process (`node dist/cli/main.js serve`) on a random-weight copy of the
// default model, so client work and server memory are measured apart. Bounded: every phase has a deadline
// and the whole run stops after DEADLINE_S. Only 127.0.0.1 is contacted. Needs `npm run build`.
//
// Usage: node bench/server-load.mjs [--clients 32] [--tokens 48] [--rounds 5] [--api chat|completions]
//                                   [--backend NAME] [--dtype f32|bf16] [--hidden H] [--layers L] [--deadline 240]
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { loadModel } from "../dist/api/load-model.js";
import { writeRandomDefaultModel } from "../dist/testing/random-default-model.js";

const { values: flags } = parseArgs({ options: {
  clients: { type: "string", default: "32" },
  tokens: { type: "string", default: "48" },
  api: { type: "string", default: "chat" },
  backend: { type: "string" },
  dtype: { type: "string", default: "f32" },
  deadline: { type: "string", default: "240" },
  "single-requests": { type: "string", default: "4" },
  rounds: { type: "string", default: "5" },
  // A wider/deeper model than the default architecture (hidden 128, 4 layers, intermediate 512).
  hidden: { type: "string" },
  layers: { type: "string" },
} });
const CLIENTS = Number(flags.clients);
const TOKENS = Number(flags.tokens);
const API = flags.api;
const ROUNDS = Number(flags.rounds);
const DEADLINE_S = Number(flags.deadline);
const KEY = "bench-key";
const hardStop = setTimeout(() => { console.error(`server-load: deadline of ${DEADLINE_S} s reached, stopping`); cleanup(); process.exit(3); }, DEADLINE_S * 1000);

console.log(`machine: ${cpus().length}× ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, node ${process.version}`);
const overrides = {};
if (flags.hidden) Object.assign(overrides, { hidden_size: Number(flags.hidden), intermediate_size: 4 * Number(flags.hidden) });
if (flags.layers) Object.assign(overrides, { num_hidden_layers: Number(flags.layers), layer_types: Array.from({ length: Number(flags.layers) }, (_, i) => (i % 2 ? "full_attention" : "sliding_attention")) });
const dir = writeRandomDefaultModel({ maxPositions: 1024, dtype: flags.dtype, tokenizer: API === "chat", overrides });

// The engine alone, in this process, without HTTP: what batching can give on this backend at all.
async function engineBaseline() {
  const model = await loadModel(dir, flags.backend ? { backend: flags.backend } : {});
  model.enableBatching({ maxBatch: CLIENTS, maxBatchTokens: 2048 });
  const run = async (i) => {
    let n = 0;
    const events = API === "chat"
      ? model.chat({ messages: [{ role: "user", content: `Client ${i}: tell me about the sea and the ships.` }], maxNewTokens: TOKENS, temperature: 0.8, seed: i })
      : model.stream([2, ...Array.from({ length: 15 }, (_, k) => 300 + ((i * 31 + k * 7) % 3000))], { maxNewTokens: TOKENS, temperature: 0.8, seed: i, stopTokenIds: [] });
    for await (const e of events) if (API !== "chat" || e.type === "token") n++;
    return n;
  };
  await run(0);
  let t = performance.now();
  let single = 0;
  for (let r = 0; r < 2; r++) single += await run(100 + r);
  const singleRate = single / ((performance.now() - t) / 1000);
  const before = model.batchStats;
  t = performance.now();
  const counts = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => run(i)));
  const aggRate = counts.reduce((a, b) => a + b, 0) / ((performance.now() - t) / 1000);
  const after = model.batchStats;
  model.dispose();
  return { singleRate, aggRate, meanBatch: (after.steps - before.steps) / (after.passes - before.passes) };
}
const engine = await engineBaseline();
const serverArgs = ["dist/cli/main.js", "serve", dir, "--port", "0", "--api-key", KEY, "--max-batch", String(Math.max(CLIENTS, 8)), "--max-queue", "64", "--model-id", "bench"];
if (flags.backend) serverArgs.push("--backend", flags.backend);
const child = spawn(process.execPath, serverArgs, { stdio: ["ignore", "inherit", "pipe"] });
function cleanup() {
  child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
const base = await new Promise((resolve, reject) => {
  let text = "";
  child.stderr.on("data", (d) => {
    text += d;
    const m = /at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(text);
    if (m) resolve(m[1]);
  });
  child.once("exit", (code) => reject(new Error(`server exited (${code}): ${text}`)));
});
console.log(`server: ${base} (${API} API, ${flags.dtype} weights, hidden ${flags.hidden ?? 128}, ${flags.layers ?? 4} layers, backend ${flags.backend ?? "default"}, ${TOKENS} tokens per request)`);
const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };

async function metrics() {
  const text = await (await fetch(`${base}/metrics`, { headers })).text();
  const get = (name) => {
    const lines = text.split("\n").filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return lines.reduce((s, l) => s + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  };
  return { heap: get("gemma4_nodejs_heap_size_used_bytes"), external: get("gemma4_nodejs_external_memory_bytes"), rss: get("gemma4_process_resident_memory_bytes"), kvBytes: get("gemma4_kv_cache_bytes"), kvSeqs: get("gemma4_kv_cache_sequences"), cancelled: get("gemma4_cancelled_requests_total"), passes: get("gemma4_batch_size_count"), batchSum: get("gemma4_batch_size_sum") };
}

function body(i, maxTokens) {
  if (API === "chat") {
    return { model: "bench", stream: true, stream_options: { include_usage: true }, max_tokens: maxTokens, temperature: 0.8, seed: i, messages: [{ role: "user", content: `Client ${i}: tell me about the sea and the ships.` }] };
  }
  const prompt = [2, ...Array.from({ length: 15 }, (_, k) => 300 + ((i * 31 + k * 7) % 3000))];
  return { model: "bench", stream: true, stream_options: { include_usage: true }, max_tokens: maxTokens, temperature: 0.8, seed: i, stop_token_ids: [], prompt };
}
const path = API === "chat" ? "/v1/chat/completions" : "/v1/completions";

/** One streaming request: time to the first chunk with generated text or ids; tokens from the usage chunk (or chunks seen, if cut off). */
async function streamOnce(i, maxTokens, { abortAfter = Infinity } = {}) {
  const controller = new AbortController();
  const start = performance.now();
  const res = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body(i, maxTokens)), signal: controller.signal });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let ttft = null;
  let tokens = 0;
  let buffer = "";
  let finished = false;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true });
      const events = buffer.split("\n\n");
      buffer = events.pop();
      for (const ev of events) {
        const data = ev.slice(6);
        if (data === "[DONE]") { finished = true; continue; }
        const json = JSON.parse(data);
        if (json.error) throw new Error(json.error.message);
        if (json.usage) { tokens = json.usage.completion_tokens; continue; }
        for (const c of json.choices) {
          const n = API === "chat" ? (c.delta?.content !== undefined || c.delta?.reasoning_content !== undefined || c.delta?.tool_calls ? 1 : 0) : c.token_ids.length;
          if (n > 0 && ttft === null) ttft = performance.now() - start;
          tokens += n;
        }
      }
      if (tokens >= abortAfter) { controller.abort(); return { ttft, tokens, aborted: true }; }
    }
  } catch (e) {
    if (e.name === "AbortError") return { ttft, tokens, aborted: true };
    throw e;
  }
  if (!finished) throw new Error("stream ended without [DONE]");
  return { ttft, tokens, ms: performance.now() - start };
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };

try {
  const mCold = await metrics();
  // Warm-up: JIT, template, then full rounds at full concurrency until RSS stops growing (≤ 3% between
  // rounds, at most 5): V8 and malloc keep memory they have once needed, so "start" is the RSS of the warmed,
  // idle server, and growth after it would be a leak. The cold RSS is reported beside it.
  await streamOnce(0, 4);
  let warmRss = (await metrics()).rss;
  const warmRounds = [];
  for (let w = 0; w < 5; w++) {
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => streamOnce(2000 + w * CLIENTS + i, TOKENS)));
    const rss = (await metrics()).rss;
    warmRounds.push(rss);
    if (rss <= warmRss * 1.03) break;
    warmRss = rss;
  }
  const m0 = await metrics();

  // Phases 1 and 2, interleaved ROUNDS times so that drifts in machine load hit both alike: one client
  // (sequential requests), then CLIENTS concurrent streams. RSS is read after each concurrent round: growth
  // that does not level off would be a leak.
  const singleRates = [];
  const aggRates = [];
  const results = [];
  const rssRounds = [];
  let batchSteps = 0;
  let batchPasses = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let singleTokens = 0;
    const t1 = performance.now();
    for (let r = 0; r < Number(flags["single-requests"]); r++) singleTokens += (await streamOnce(1000 + round * 100 + r, TOKENS)).tokens;
    singleRates.push(singleTokens / ((performance.now() - t1) / 1000));

    const mBefore = await metrics();
    const t2 = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: CLIENTS }, (_, i) => streamOnce(round * CLIENTS + i, TOKENS)));
    const wall = (performance.now() - t2) / 1000;
    const mAfter = await metrics();
    results.push(...settled);
    aggRates.push(settled.reduce((sum, r) => sum + (r.status === "fulfilled" ? r.value.tokens : 0), 0) / wall);
    batchSteps += mAfter.batchSum - mBefore.batchSum;
    batchPasses += mAfter.passes - mBefore.passes;
    rssRounds.push(mAfter.rss);
  }
  const ok = results.filter((r) => r.status === "fulfilled").map((r) => r.value);
  const errors = results.filter((r) => r.status === "rejected").map((r) => String(r.reason?.message ?? r.reason));
  const singleRate = pct(singleRates, 50);
  const aggRate = pct(aggRates, 50);
  const ttfts = ok.map((r) => r.ttft).filter((x) => x !== null);
  const meanBatch = batchSteps / Math.max(1, batchPasses);

  // RSS once the load has ended (give the allocator a few seconds to return memory).
  let m1 = await metrics();
  for (let i = 0; i < 20 && m1.rss > m0.rss * 1.1; i++) { await new Promise((r) => setTimeout(r, 250)); m1 = await metrics(); }

  // Phase 3: 8 clients disconnect mid-stream.
  const kvIdle = (await metrics()).kvBytes;
  const cancelledBefore = (await metrics()).cancelled;
  const drops = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => streamOnce(500 + i, 600, { abortAfter: 3 })));
  const dropErrors = drops.filter((r) => r.status === "rejected").length;
  let m3 = await metrics();
  const kvDuring = m3.kvSeqs;
  const waitStart = performance.now();
  while ((m3.kvSeqs > 0 || m3.kvBytes > kvIdle || m3.cancelled - cancelledBefore < 8) && performance.now() - waitStart < 10_000) {
    await new Promise((r) => setTimeout(r, 25));
    m3 = await metrics();
  }
  const freedMs = performance.now() - waitStart;

  console.log(`\n| measure | value |\n| --- | --- |`);
  const list = (xs) => xs.map((x) => x.toFixed(0)).join(", ");
  console.log(`| 1 client: generated tokens/s, median of ${ROUNDS} | ${singleRate.toFixed(1)} (rounds: ${list(singleRates)}) |`);
  console.log(`| ${CLIENTS} clients: generated tokens/s (aggregate), median of ${ROUNDS} | ${aggRate.toFixed(1)} (rounds: ${list(aggRates)}) |`);
  console.log(`| ratio ${CLIENTS} clients / 1 client | ${(aggRate / singleRate).toFixed(2)}× (per round: ${aggRates.map((a, i) => (a / singleRates[i]).toFixed(2)).join(", ")}; target ≥ 4×) |`);
  console.log(`| mean sequences per forward pass under load | ${meanBatch.toFixed(1)} |`);
  console.log(`| engine alone (no HTTP), same model: 1 → ${CLIENTS} concurrent | ${engine.singleRate.toFixed(1)} → ${engine.aggRate.toFixed(1)} tokens/s, ${(engine.aggRate / engine.singleRate).toFixed(2)}× (mean batch ${engine.meanBatch.toFixed(1)}) |`);
  console.log(`| requests completed / errors | ${ok.length} / ${errors.length}${errors.length ? ` (${errors[0]})` : ""} |`);
  console.log(`| time to first token p50 / p99 | ${pct(ttfts, 50).toFixed(0)} ms / ${pct(ttfts, 99).toFixed(0)} ms |`);
  console.log(`| RSS start (after warm-up) → after load | ${(m0.rss / 2 ** 20).toFixed(0)} MiB → ${(m1.rss / 2 ** 20).toFixed(0)} MiB (${((m1.rss / m0.rss - 1) * 100).toFixed(1)}%, limit +10%); after warm-up rounds ${warmRounds.map((r) => (r / 2 ** 20).toFixed(0)).join(", ")} MiB, after each measured round ${rssRounds.map((r) => (r / 2 ** 20).toFixed(0)).join(", ")} MiB; model loaded, before any request: ${(mCold.rss / 2 ** 20).toFixed(0)} MiB; JS heap used ${(m0.heap / 2 ** 20).toFixed(0)} → ${(m1.heap / 2 ** 20).toFixed(0)} MiB, external (ArrayBuffers) ${(m0.external / 2 ** 20).toFixed(0)} → ${(m1.external / 2 ** 20).toFixed(0)} MiB |`);
  console.log(`| 8 disconnects: live sequences right after → after | ${kvDuring} → ${m3.kvSeqs} (KV bytes ${m3.kvBytes}, idle ${kvIdle}; cancelled +${m3.cancelled - cancelledBefore}; freed within ${freedMs.toFixed(0)} ms; client errors ${dropErrors}) |`);
  const pass = errors.length === 0 && m1.rss <= m0.rss * 1.1 && m3.kvSeqs === 0 && m3.kvBytes <= kvIdle && m3.cancelled - cancelledBefore >= 8;
  console.log(`\nchecks (errors, RSS, KV freed): ${pass ? "pass" : "FAIL"}; batching ratio ${(aggRate / singleRate).toFixed(2)}×`);
  process.exitCode = pass ? 0 : 1;
} finally {
  clearTimeout(hardStop);
  cleanup();
}
