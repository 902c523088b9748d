import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BadFileError, BadRequestError } from "../../errors.js";
import { PackedTokenDataset } from "./packed-token-dataset.js";
import { PackedTokenWriter } from "./packed-token-file.js";

const dir = mkdtempSync(join(tmpdir(), "packed-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, docs: number[][], vocabSize = 100): string {
  const path = join(dir, name);
  const writer = new PackedTokenWriter(path, { vocabSize, bosId: 2, eosId: 1 });
  for (const d of docs) writer.appendDocument(d);
  writer.close();
  return path;
}

describe("packed token files", () => {
  it("store <bos> doc <eos> back to back behind the header", () => {
    const path = writeFile("a.tokens", [[10, 11, 12], [20], []]);
    const data = PackedTokenDataset.open(path, { sequenceLength: 3 });
    assert.equal(data.numTokens, 5 + 3 + 2);
    assert.equal(data.header.numDocuments, 3);
    assert.equal(data.header.bytesPerToken, 2);
    assert.deepEqual([...data.readTokens(0, 10)], [2, 10, 11, 12, 1, 2, 20, 1, 2, 1]);
    assert.equal(readFileSync(path).length, 64 + 2 * 10);
    data.close();
  });

  it("cut into sequences of L + 1 ids that overlap by one, covering every target once", () => {
    const path = writeFile("b.tokens", [[10, 11, 12], [20]]);
    const data = PackedTokenDataset.open(path, { sequenceLength: 3 });
    assert.equal(data.numSequences, 2); // 8 tokens: targets 1..6 in two sequences, the last one left out
    assert.deepEqual([...data.sequence(0)], [2, 10, 11, 12]);
    assert.deepEqual([...data.sequence(1)], [12, 1, 2, 20]);
    assert.throws(() => data.sequence(2), BadRequestError);
    const out = new Int32Array(4);
    assert.equal(data.sequence(1, out), out);
    data.close();
  });

  it("use 4-byte ids above 65536 tokens", () => {
    const path = writeFile("c.tokens", [[70000, 5]], 70001);
    const data = PackedTokenDataset.open(path, { sequenceLength: 2 });
    assert.equal(data.header.bytesPerToken, 4);
    assert.deepEqual([...data.readTokens(0, 4)], [2, 70000, 5, 1]);
    data.close();
  });

  it("give a seeded shuffled order per epoch, the same on every call", () => {
    const path = writeFile("d.tokens", Array.from({ length: 50 }, (_, i) => [i + 3]));
    const data = PackedTokenDataset.open(path, { sequenceLength: 4 });
    const order = data.shuffledOrder(42, 0);
    assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: data.numSequences }, (_, i) => i));
    assert.deepEqual(data.shuffledOrder(42, 0), order);
    assert.notDeepEqual(data.shuffledOrder(42, 1), order);
    assert.notDeepEqual(data.shuffledOrder(43, 0), order);
    data.close();
  });

  it("reject ids outside the vocabulary, foreign and truncated files", () => {
    const writer = new PackedTokenWriter(join(dir, "e.tokens"), { vocabSize: 10, bosId: 2, eosId: 1 });
    assert.throws(() => writer.appendDocument([10]), BadRequestError);
    writer.abort();
    writeFileSync(join(dir, "f.tokens"), "not a token file at all, not a token file at all, not a token file");
    assert.throws(() => PackedTokenDataset.open(join(dir, "f.tokens"), { sequenceLength: 2 }), BadFileError);
    const good = readFileSync(writeFile("g.tokens", [[5, 6, 7]]));
    writeFileSync(join(dir, "h.tokens"), good.subarray(0, good.length - 2));
    assert.throws(() => PackedTokenDataset.open(join(dir, "h.tokens"), { sequenceLength: 2 }), /truncated/);
  });
});
