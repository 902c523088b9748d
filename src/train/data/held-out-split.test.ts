import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CorpusDocument } from "./corpus-document.js";
import { splitHeldOut } from "./held-out-split.js";

const docs: CorpusDocument[] = [];
for (const source of ["a", "b"]) for (let i = 0; i < 40; i++) docs.push({ id: `${source}/${i}`, source, text: "x".repeat(100 + i) });

describe("splitHeldOut", () => {
  it("splits whole documents, disjoint and complete, keeping their order", () => {
    const { train, validation } = splitHeldOut(docs, { fraction: 0.1, seed: 7 });
    assert.equal(train.length + validation.length, docs.length);
    const ids = new Set([...train, ...validation].map((d) => d.id));
    assert.equal(ids.size, docs.length);
    assert.deepEqual(train.map((d) => docs.indexOf(d)), [...train.map((d) => docs.indexOf(d))].sort((x, y) => x - y));
  });

  it("holds out about the fraction of each source's bytes", () => {
    const { validation } = splitHeldOut(docs, { fraction: 0.1, seed: 7 });
    for (const source of ["a", "b"]) {
      const total = docs.filter((d) => d.source === source).reduce((n, d) => n + d.text.length, 0);
      const held = validation.filter((d) => d.source === source).reduce((n, d) => n + d.text.length, 0);
      assert.ok(held >= 0.1 * total && held < 0.1 * total + 140, `${source}: ${held} of ${total}`);
    }
  });

  it("depends only on the seed", () => {
    const a = splitHeldOut(docs, { fraction: 0.2, seed: 1 }).validation.map((d) => d.id);
    assert.deepEqual(splitHeldOut([...docs].reverse(), { fraction: 0.2, seed: 1 }).validation.map((d) => d.id).sort(), [...a].sort());
    assert.notDeepEqual(splitHeldOut(docs, { fraction: 0.2, seed: 2 }).validation.map((d) => d.id), a);
  });

  it("rejects a fraction outside (0, 1)", () => {
    assert.throws(() => splitHeldOut(docs, { fraction: 1, seed: 1 }), /between 0 and 1/);
  });
});
