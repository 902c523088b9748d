/**
 * The decode loop's two ways of choosing: from whole rows of logits, and from the most likely tokens a
 * backend picks out itself (Backend.topLogits, what a GPU does to avoid reading back the vocabulary). Both
 * must choose the same tokens with the same log-probabilities; the second is taken only where nothing
 * needs the row.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Backend, Tensor, TopLogits } from "../backends/ops.js";
import { ReferenceBackend } from "../backends/reference/reference-backend.js";
import type { GemmaDecoder } from "../model/decoder.js";
import { fixtureDecoder } from "../testing/fixtures.js";
import { generateTokens, type GenerateOptions, type GeneratedToken } from "./generate.js";
import { topIndices } from "./sampler.js";
import { Session } from "./session.js";

/** `backend` with a host-side topLogits that counts its calls (and with `crowded`, always declines). */
function withTopLogits(backend: Backend, calls: { n: number }, crowded = false): Backend {
  const topLogits = async (logits: Tensor, k: number): Promise<TopLogits | null> => {
    calls.n++;
    if (crowded) return null;
    const row = await backend.read(logits);
    const ids = topIndices(row, k);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - row[ids[0]!]!);
    return { ids, values: Float32Array.from(ids, (i) => row[i]!), logSumExp: row[ids[0]!]! + Math.log(sum) };
  };
  return new Proxy(backend, {
    get(target, prop) {
      if (prop === "topLogits") return topLogits;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function generate(decoder: GemmaDecoder, options: GenerateOptions): Promise<GeneratedToken[]> {
  const session = new Session(decoder, { maxContext: 64, prefillChunk: 16 });
  const tokens: GeneratedToken[] = [];
  for await (const t of generateTokens(session, Int32Array.of(2, 10, 20, 30, 40), [], { maxNewTokens: 20, ...options })) tokens.push(t);
  session.dispose();
  return tokens;
}

describe("decode loop: choosing from the backend's top tokens", () => {
  const plain = fixtureDecoder("gemma4-dense", new ReferenceBackend());
  const calls = { n: 0 };
  const withTop = fixtureDecoder("gemma4-dense", withTopLogits(new ReferenceBackend(), calls));

  const configs: [string, GenerateOptions][] = [
    ["greedy", { greedy: true }],
    ["temperature 0.8, top-k 5", { temperature: 0.8, topK: 5, seed: 11 }],
    ["temperature 1.5, top-k 40, top-p 0.8", { temperature: 1.5, topK: 40, topP: 0.8, seed: 12 }],
    ["temperature 1, top-k 64, min-p 0.05", { temperature: 1, topK: 64, minP: 0.05, seed: 13 }],
  ];
  for (const [label, options] of configs) {
    it(`${label}: the same tokens and log-probabilities as from whole rows, one top-k call per step`, async () => {
      const expected = await generate(plain, options);
      const before = calls.n;
      const actual = await generate(withTop, options);
      assert.deepEqual(actual.map((t) => t.id), expected.map((t) => t.id));
      actual.forEach((t, i) => assert.ok(Math.abs(t.logprob - expected[i]!.logprob) < 1e-9, `step ${i}: ${t.logprob} vs ${expected[i]!.logprob}`));
      assert.equal(calls.n - before, actual.length, "topLogits once per chosen token");
    });
  }

  it("whole rows where something needs them: logits processors, top logprobs, no top-k", async () => {
    const before = calls.n;
    const ban = (logits: Float32Array): void => { logits[7] = -Infinity; };
    for (const options of [{ greedy: true, logitsProcessors: [ban] }, { greedy: true, topLogprobs: 3 }, { temperature: 1, seed: 3 }] as GenerateOptions[]) {
      const expected = await generate(plain, options);
      const actual = await generate(withTop, options);
      assert.deepEqual(actual, expected);
    }
    assert.equal(calls.n, before, "topLogits not called");
  });

  it("a backend that declines (too many ties near the k-th) is read instead, with the same tokens", async () => {
    const declined = { n: 0 };
    const decoder = fixtureDecoder("gemma4-dense", withTopLogits(new ReferenceBackend(), declined, true));
    const options: GenerateOptions = { temperature: 0.9, topK: 8, seed: 5 };
    assert.deepEqual(await generate(decoder, options), await generate(plain, options));
    assert.ok(declined.n > 0);
  });
});
