import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { trainBpe } from "./bpe-trainer.js";
import { byteToken, GEMMA4_RESERVED_TOKENS } from "./special-tokens.js";
import { countTrainingPieces } from "./training-pieces.js";

const options = { reservedTokens: GEMMA4_RESERVED_TOKENS, minCharCount: 1, requiredChars: "" };

describe("trainBpe", () => {
  it("learns the textbook merges in order (Sennrich et al.'s low/lower/newest/widest, worked by hand)", () => {
    // Pair counts: (e,s) = (s,t) = 9 → the tie goes to the smaller ids (e < s), then (es,t) = 9; then
    // (l,o), (o,w), (▁,l) tie at 7 → (l,o); then (▁,lo) (▁ is a base id, smaller than the new lo); then (▁lo,w).
    const counts = new Map([["▁low", 5], ["▁lower", 2], ["▁newest", 6], ["▁widest", 3]]);
    const trained = trainBpe(counts, { ...options, vocabSize: 16 + 256 + 11 + 5 });
    assert.deepEqual(trained.merges, [["e", "s"], ["es", "t"], ["l", "o"], ["▁", "lo"], ["▁lo", "w"]]);
    assert.deepEqual(trained.tokens.slice(trained.numBaseTokens), ["es", "est", "lo", "▁lo", "▁low"]);
  });

  it("lays out reserved tokens, then the 256 byte tokens, then the alphabet by code point", () => {
    const trained = trainBpe(new Map([["ba", 3]]), { ...options, vocabSize: 300 });
    assert.deepEqual(trained.tokens.slice(0, 16), [...GEMMA4_RESERVED_TOKENS]);
    assert.equal(trained.tokens[16], byteToken(0));
    assert.equal(trained.tokens[16 + 255], "<0xFF>");
    assert.deepEqual(trained.tokens.slice(272, 274), ["a", "b"]);
    assert.deepEqual(trained.merges, [["b", "a"]]);
    assert.equal(trained.tokens.length, 275, "stops when no pair is seen twice");
  });

  it("leaves rare characters to byte fallback and never merges across them", () => {
    const trained = trainBpe(new Map([["aéa", 5], ["aa", 1]]), { ...options, minCharCount: 6, vocabSize: 300 });
    assert.ok(!trained.tokens.includes("é"));
    assert.deepEqual(trained.merges, [], "a|é and é|a are not pairs, and aa is seen once");
  });

  it("is deterministic and never puts a digit in a merged token", () => {
    const counts = new Map<string, number>();
    const text = "In 1790 the President said 42 things. In 1801, 1802 and 1803 the Congress met. ".repeat(20);
    countTrainingPieces(text, counts);
    const a = trainBpe(counts, { ...options, vocabSize: 400 });
    const b = trainBpe(new Map([...counts].reverse()), { ...options, vocabSize: 400 });
    assert.deepEqual(a, b);
    for (const token of a.tokens.slice(a.numBaseTokens)) assert.ok(!/\d/.test(token), token);
    for (const [left, right] of a.merges) assert.ok(a.tokens.includes(left + right));
  });

  it("rejects a vocabulary too small for its base tokens", () => {
    assert.throws(() => trainBpe(new Map([["abc", 2]]), { ...options, vocabSize: 100 }), /smaller than/);
  });
});
