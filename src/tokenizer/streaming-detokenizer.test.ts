// Behaviour on the small Gemma-4-shaped tokenizer; the check on every Gemma 3 fixture text is in
// tokenizer.test.ts (one process loads the 33 MB tokenizer).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { SeededRandom } from "../engine/rng.js";
import { GEMMA4_MINI_DIR } from "../testing/tokenizer-fixtures.js";
import { StreamingDetokenizer } from "./streaming-detokenizer.js";
import { Tokenizer } from "./tokenizer.js";

describe("StreamingDetokenizer", () => {
  let tok: Tokenizer;
  before(async () => {
    tok = await Tokenizer.load(GEMMA4_MINI_DIR);
  });
  const byte = (b: number): number => tok.tokenToId(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`)!;

  it("holds a multi-byte character until its last byte token arrives", () => {
    const s = new StreamingDetokenizer(tok);
    assert.deepEqual([0xe2, 0x82, 0xac].map((b) => s.push(byte(b))), ["", "", "€"]);
    assert.equal(s.pending, false);
  });

  it("turns ▁ into a space and emits ordinary tokens at once", () => {
    const s = new StreamingDetokenizer(tok);
    const ids = tok.encode("the cat  sat");
    const pieces = [...ids].map((id) => s.push(id));
    assert.ok(pieces.every((p) => p !== ""), JSON.stringify(pieces));
    assert.equal(pieces.join("") + s.flush(), "the cat  sat");
  });

  it("gives an invalid byte run U+FFFD per byte once the run ends (as a full decode does)", () => {
    const s = new StreamingDetokenizer(tok);
    const a = tok.encode("a")[0]!;
    assert.equal(s.push(byte(0xe2)), "");
    assert.equal(s.push(byte(0x82)), "");
    assert.equal(s.pending, true);
    assert.equal(s.push(a), "\uFFFD\uFFFDa");
    assert.equal(s.push(byte(0xf0)), "");
    assert.equal(s.flush(), "\uFFFD");
    assert.equal(tok.decode([byte(0xe2), byte(0x82), a, byte(0xf0)]), "\uFFFD\uFFFDa\uFFFD");
  });

  it("shows special tokens by default and hides them on request", () => {
    const ids = tok.encode("<|turn>model\nhi<turn|>");
    const shown = new StreamingDetokenizer(tok);
    assert.equal(shown.pushAll(ids) + shown.flush(), "<|turn>model\nhi<turn|>");
    const hidden = new StreamingDetokenizer(tok, { skipSpecialTokens: true });
    assert.equal(hidden.push(105), "");
    assert.equal(hidden.pushAll(ids.subarray(1)) + hidden.flush(), "model\nhi");
  });

  it("rejects ids outside the vocabulary", () => {
    assert.throws(() => new StreamingDetokenizer(tok).push(tok.vocabSize));
    assert.throws(() => new StreamingDetokenizer(tok, { skipSpecialTokens: true }).push(-1));
  });

  it("concatenates to decode(ids) on 500 seeded random id sequences of byte runs, ordinary and special tokens", () => {
    const rng = new SeededRandom(11);
    const firstText = tok.tokenToId("▁")!; // ids after the byte tokens
    const chars = ["€", "é", "😀", "ж", "A", "\u{10FFFF}", "中"];
    let bytesPushed = 0;
    for (let n = 0; n < 500; n++) {
      const ids: number[] = [];
      const units = rng.nextUint32() % 20;
      for (let i = 0; i < units; i++) {
        const r = rng.nextUint32() % 10;
        if (r < 6) {
          for (const b of new TextEncoder().encode(chars[rng.nextUint32() % chars.length]!)) ids.push(byte(b));
        } else if (r < 9) ids.push(firstText + (rng.nextUint32() % (tok.vocabSize - firstText)));
        else ids.push([2, 48, 52, 106][rng.nextUint32() % 4]!);
      }
      bytesPushed += ids.length;
      for (const skipSpecialTokens of [false, true]) {
        const s = new StreamingDetokenizer(tok, { skipSpecialTokens });
        const pieces = ids.map((id) => s.push(id));
        assert.ok(pieces.every((p) => !p.includes("\uFFFD")), "released a partial character");
        assert.equal(pieces.join("") + s.flush(), tok.decode(ids, { skipSpecialTokens }), JSON.stringify(ids));
      }
    }
    assert.ok(bytesPushed > 3000);
  });
});
