import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ropeAngles } from "../rope-angles.js";
import { RopeTableCache } from "./rope-tables.js";

const freqs = (half: number, base: number): Float32Array => Float32Array.from({ length: half }, (_, j) => Math.fround(1 / base ** (j / half)));

describe("RopeTableCache", () => {
  it("keeps the tables of alternating position sets (a batched decode step) and of each frequency array", () => {
    const cache = new RopeTableCache();
    const local = freqs(128, 10_000);
    const global = freqs(64, 1_000_000);
    const batch = Int32Array.of(17, 40, 5);
    const sets = [batch, Int32Array.of(17), Int32Array.of(40), Int32Array.of(5)];
    const first = sets.map((p) => [cache.get(p, local), cache.get(p, global)]);
    for (let layer = 0; layer < 3; layer++) {
      sets.forEach((p, i) => {
        assert.equal(cache.get(Int32Array.from(p), local), first[i]![0], "same object: a hit");
        assert.equal(cache.get(p, Float32Array.from(global)), first[i]![1]);
      });
    }
    assert.deepEqual(cache.get(batch, local), ropeAngles(batch, local));
  });

  it("drops the oldest sets past its memory budget, never the newest", () => {
    const cache = new RopeTableCache();
    const inv = freqs(256, 10_000);
    const chunk = (start: number): Int32Array => Int32Array.from({ length: 8192 }, (_, t) => start + t); // 16 MB of tables
    const a = cache.get(chunk(0), inv);
    const b = cache.get(chunk(8192), inv);
    const c = cache.get(chunk(16384), inv);
    assert.equal(cache.get(chunk(16384), inv), c);
    assert.equal(cache.get(chunk(8192), inv), b, "two chunks fit the 32 MB budget");
    assert.notEqual(cache.get(chunk(0), inv), a, "the oldest was dropped and is computed again");
    assert.deepEqual(cache.get(chunk(0), inv), a);
  });
});
