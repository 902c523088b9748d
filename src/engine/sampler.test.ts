import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadRequestError } from "../errors.js";
import { SeededRandom } from "./rng.js";
import { Sampler, topIndices } from "./sampler.js";

function randomLogits(n: number, seed: number, scale = 3): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: n }, () => (rng.nextFloat() * 2 - 1) * scale);
}

function frequencies(sampler: Sampler, logits: Float32Array, draws: number): Float64Array {
  const counts = new Float64Array(logits.length);
  for (let i = 0; i < draws; i++) counts[sampler.sample(logits).id]! += 1 / draws;
  return counts;
}

function softmax(logits: ArrayLike<number>, temperature = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e = Array.from(logits, (l) => Math.exp((l - max) / temperature));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

describe("sampler", () => {
  it("greedy picks the argmax and reports its log-probability", () => {
    const logits = Float32Array.of(0.5, 2, -1, 1.9);
    const t = new Sampler({ greedy: true }).sample(logits);
    assert.equal(t.id, 1);
    assert.ok(Math.abs(t.logprob - Math.log(softmax(logits)[1]!)) < 1e-6);
    assert.equal(new Sampler({ temperature: 0 }).sample(logits).id, 1, "temperature 0 is greedy");
  });

  it("the same seed gives the same tokens; different seeds differ", () => {
    const logits = randomLogits(1000, 1, 1);
    const run = (seed: number) => { const s = new Sampler({ temperature: 1, seed }); return Array.from({ length: 50 }, () => s.sample(logits).id); };
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
  });

  it("plain sampling follows softmax(logits / T)", () => {
    const logits = Float32Array.of(1, 0, -1, 0.5, 2);
    for (const temperature of [0.5, 1, 2]) {
      const freq = frequencies(new Sampler({ temperature, seed: 3 }), logits, 40000);
      softmax(logits, temperature).forEach((p, i) => assert.ok(Math.abs(freq[i]! - p) < 0.01, `T=${temperature} token ${i}: ${freq[i]} vs ${p}`));
    }
  });

  it("top-k keeps the k most likely tokens, renormalised", () => {
    const logits = Float32Array.of(3, 1, 2, 0, 2.5);
    const freq = frequencies(new Sampler({ temperature: 1, topK: 2, seed: 1 }), logits, 30000);
    const p = softmax([3, 2.5]);
    assert.ok(Math.abs(freq[0]! - p[0]!) < 0.01 && Math.abs(freq[4]! - p[1]!) < 0.01);
    assert.equal(freq[1]! + freq[2]! + freq[3]!, 0);
    assert.equal(new Sampler({ temperature: 1, topK: 1, seed: 5 }).sample(randomLogits(5000, 2)).id, new Sampler({ greedy: true }).sample(randomLogits(5000, 2)).id);
  });

  it("top-p keeps the smallest set reaching p; min-p drops tokens below min_p × the best", () => {
    const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
    const topP = frequencies(new Sampler({ temperature: 1, topP: 0.7, seed: 2 }), logits, 30000);
    assert.ok(Math.abs(topP[0]! - 0.5 / 0.8) < 0.01 && Math.abs(topP[1]! - 0.3 / 0.8) < 0.01 && topP[2] === 0 && topP[3] === 0);
    const minP = frequencies(new Sampler({ temperature: 1, minP: 0.25, seed: 2 }), logits, 30000);
    assert.ok(minP[3] === 0 && Math.abs(minP[2]! - 0.15 / 0.95) < 0.01);
    // top-p on a large vocabulary uses a partial selection; it must match the full-sort definition.
    const big = randomLogits(262144, 9, 8);
    const order = Array.from(big.keys()).sort((a, b) => big[b]! - big[a]!);
    const probs = softmax(big);
    let mass = 0;
    const nucleus = new Set<number>();
    for (const i of order) { if (mass >= 0.9) break; mass += probs[i]!; nucleus.add(i); }
    const s = new Sampler({ temperature: 1, topP: 0.9, seed: 4 });
    for (let i = 0; i < 200; i++) assert.ok(nucleus.has(s.sample(big).id));
  });

  it("top-p alone chooses exactly what the definition on the fully sorted vocabulary chooses", () => {
    // The definition: sort by logit (ties: lower id first), keep the shortest prefix whose weight reaches
    // p × the total, then min-p, then draw r = u × kept mass down that prefix.
    const expectedDraws = (logits: Float32Array, temperature: number, topP: number, minP: number, seed: number, draws: number): number[] => {
      const rng = new SeededRandom(seed);
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
      const weight = (i: number): number => Math.exp(logits[i]! / temperature - logits[best]! / temperature);
      let total = 0;
      for (let i = 0; i < logits.length; i++) total += weight(i);
      const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
      let covered = 0;
      let count = 0;
      while (count < order.length && covered < topP * total) covered += weight(order[count++]!);
      count = Math.max(1, count);
      if (minP > 0) {
        let keep = 1;
        while (keep < count && weight(order[keep]!) >= minP * weight(order[0]!)) keep++;
        count = keep;
      }
      let kept = 0;
      for (let i = 0; i < count; i++) kept += weight(order[i]!);
      return Array.from({ length: draws }, () => {
        let r = rng.nextFloat() * kept;
        for (let i = 0; i < count; i++) {
          r -= weight(order[i]!);
          if (r < 0) return order[i]!;
        }
        return order[count - 1]!;
      });
    };
    const flat = randomLogits(50000, 21, 8);
    const peaked = randomLogits(50000, 22, 2);
    for (let i = 0; i < 30; i++) peaked[i * 997] = 14 + (i % 3); // a few far ahead, with ties among them
    const withTies = Float32Array.from(randomLogits(20000, 23, 3), (v, i) => (i % 5 === 0 ? Math.round(v) : v));
    withTies[3] = -Infinity;
    withTies[4] = -0;
    withTies[5] = 0;
    for (const [name, logits] of [["flat", flat], ["peaked", peaked], ["ties, ±0, −∞", withTies]] as const) {
      for (const [temperature, topP, minP] of [[1, 0.9, 0], [0.7, 0.5, 0], [1.3, 0.99, 0], [1, 0.95, 0.05]] as const) {
        const sampler = new Sampler({ temperature, topP, minP, seed: 5 });
        const actual = Array.from({ length: 40 }, () => sampler.sample(logits).id);
        assert.deepEqual(actual, expectedDraws(logits, temperature, topP, minP, 5, 40), `${name}, T ${temperature}, top-p ${topP}, min-p ${minP}`);
      }
    }
  });

  it("topIndices returns the largest values in order, ties by lower index", () => {
    const v = Float32Array.of(1, 5, 3, 5, 2, 4);
    assert.deepEqual(Array.from(topIndices(v, 4)), [1, 3, 5, 2]);
    const big = randomLogits(100000, 3);
    const expected = Array.from(big.keys()).sort((a, b) => big[b]! - big[a]! || a - b).slice(0, 50);
    assert.deepEqual(Array.from(topIndices(big, 50)), expected);
  });

  it("rejects invalid settings with the field named", () => {
    for (const [options, field] of [[{ temperature: -1 }, "temperature"], [{ topK: 1.5 }, "top_k"], [{ topP: 0 }, "top_p"], [{ minP: 2 }, "min_p"], [{ seed: 0.5 }, "seed"]] as const) {
      assert.throws(() => new Sampler(options), (e: unknown) => e instanceof BadRequestError && e.field === field);
    }
  });
});
