import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { PACKAGE_ROOT } from "../../testing/fixtures.js";
import { countTexts } from "./corpus-document.js";
import { DEFAULT_CORPUS_SOURCES, readKjvDocuments } from "./default-corpus-sources.js";
import type { CorpusManifest } from "./prepare-default-corpus.js";

const DIR = join(PACKAGE_ROOT, "data", "default-corpus");

describe("the committed default corpus", () => {
  const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as CorpusManifest;
  const load = (split: "train" | "validation") => {
    const content = gunzipSync(readFileSync(join(DIR, manifest.splits[split].file)));
    const docs = content.toString("utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as { id: string; source: string; text: string });
    return { content, docs };
  };

  it("matches its manifest: content hashes and counts", () => {
    for (const split of ["train", "validation"] as const) {
      const { content, docs } = load(split);
      assert.equal(createHash("sha256").update(content).digest("hex"), manifest.splits[split].sha256, split);
      assert.deepEqual(countTexts(docs.map((d) => d.text)), manifest.splits[split].total, split);
    }
  });

  it("holds out whole documents of every source, about 5% of each source's bytes", () => {
    const train = load("train").docs, validation = load("validation").docs;
    const trainIds = new Set(train.map((d) => d.id));
    assert.ok(validation.every((d) => !trainIds.has(d.id)));
    for (const { name } of DEFAULT_CORPUS_SOURCES) {
      const held = manifest.splits.validation.bySource[name]!.bytes, kept = manifest.splits.train.bySource[name]!.bytes;
      const fraction = held / (held + kept);
      assert.ok(fraction >= 0.05 && fraction < 0.08, `${name}: ${fraction}`);
    }
  });
});

describe("readKjvDocuments", () => {
  it("makes one document per chapter, headed by the book's full name, one verse a line", () => {
    const abbreviations = Array.from({ length: 66 }, (_, i) => `B${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
    const lines = ["Ge1:1 In the beginning.", "Ge1:2 And the earth.", "Ge2:1 Thus the heavens."];
    for (const a of abbreviations.slice(1)) lines.push(`${a}1:1 Verse.`);
    const docs = readKjvDocuments(lines.join("\n") + "\n");
    assert.equal(docs.length, 67);
    assert.deepEqual(docs[0], { id: "kjv/genesis-001", source: "kjv", text: "Genesis 1\n\nIn the beginning.\nAnd the earth." });
    assert.equal(docs[1]!.text, "Genesis 2\n\nThus the heavens.");
    assert.equal(docs[66]!.id, "kjv/revelation-001");
  });

  it("rejects text that is not the decompressor's output", () => {
    assert.throws(() => readKjvDocuments("Genesis 1 In the beginning"), /line 1/);
    assert.throws(() => readKjvDocuments("Ge1:1 Only one book."), /1 books, expected 66/);
  });
});
