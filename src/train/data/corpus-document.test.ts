import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countTexts, normalizeDocumentText } from "./corpus-document.js";

describe("normalizeDocumentText", () => {
  it("collapses spaces, trims lines, keeps paragraphs and single line breaks", () => {
    assert.equal(normalizeDocumentText("  Call  me\tIshmael.  \r\n\r\n\r\n\r\nSome years\u00a0ago\nnever mind  "), "Call me Ishmael.\n\nSome years ago\nnever mind");
  });

  it("composes to NFC and drops control characters and BOMs", () => {
    assert.equal(normalizeDocumentText("\ufeffcafe\u0301\u0002 ok\u200b"), "caf\u00e9 ok");
  });
});

describe("countTexts", () => {
  it("counts documents, UTF-8 bytes, code points and words", () => {
    assert.deepEqual(countTexts(["a bc", "é 😀\nx"]), { documents: 2, bytes: 4 + 2 + 1 + 4 + 2, chars: 4 + 5, words: 2 + 3 });
  });
});
