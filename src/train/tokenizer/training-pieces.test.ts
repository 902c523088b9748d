import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countTrainingPieces, splitTrainingPieces, toMetaspace } from "./training-pieces.js";

describe("splitTrainingPieces", () => {
  const split = (text: string) => splitTrainingPieces(toMetaspace(text));

  it("attaches one space to the following word or symbol run, never to the previous one", () => {
    assert.deepEqual(split("Call me Ishmael."), ["Call", "▁me", "▁Ishmael", "."]);
    assert.deepEqual(split("said, (he) don't"), ["said", ",", "▁(", "he", ")", "▁don", "'", "t"]);
  });

  it("keeps extra spaces as a whitespace-only piece and newline runs apart", () => {
    assert.deepEqual(split("a   b"), ["a", "▁▁", "▁b"]);
    assert.deepEqual(split("end.\n\nNext  \n"), ["end", ".", "\n\n", "Next", "▁▁", "\n"]);
  });

  it("splits every digit on its own, with no space attached", () => {
    assert.deepEqual(split("in 1790, 3.5%"), ["in", "▁", "1", "7", "9", "0", ",", "▁", "3", ".", "5", "%"]);
  });

  it("gives back the text when the pieces are joined", () => {
    const text = toMetaspace("  Über — “quoted” 42\t\ttabs\r\nemoji 😀 中文 e\u0301 ");
    assert.equal(splitTrainingPieces(text).join(""), text);
  });

  it("counts pieces", () => {
    const counts = new Map<string, number>();
    countTrainingPieces("the whale the sea", counts);
    assert.equal(counts.get("▁the"), 1);
    assert.equal(counts.get("the"), 1);
    assert.equal(counts.get("▁whale"), 1);
  });
});
