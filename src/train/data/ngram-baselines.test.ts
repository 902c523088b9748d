import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fitNgramModels, measureNgramBaselines } from "./ngram-baselines.js";
import { PackedTokenDataset } from "./packed-token-dataset.js";
import { PackedTokenWriter } from "./packed-token-file.js";
import { seededRandom } from "./seeded-random.js";

const dir = mkdtempSync(join(tmpdir(), "ngram-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function dataset(name: string, docs: number[][], sequenceLength = 8, vocabSize = 12): PackedTokenDataset {
  const path = join(dir, name);
  const writer = new PackedTokenWriter(path, { vocabSize, bosId: 2, eosId: 1 });
  for (const d of docs) writer.appendDocument(d);
  writer.close();
  return PackedTokenDataset.open(path, { sequenceLength });
}

describe("n-gram baselines", () => {
  it("are probability distributions over the vocabulary, for seen and unseen histories", () => {
    const random = seededRandom(3);
    const docs = Array.from({ length: 40 }, () => Array.from({ length: 20 }, () => 4 + Math.floor(random() * 6)));
    const models = fitNgramModels(dataset("dist.tokens", docs));
    for (const prev of [0, 1, 2, 4, 9, 11]) { // 0, 11 never seen as a history
      let sum = 0;
      for (let w = 0; w < 12; w++) sum += Math.exp(models.bigram(prev, w));
      assert.ok(Math.abs(sum - 1) < 1e-9, `history ${prev}: ${sum}`);
    }
    let sum = 0;
    for (let w = 0; w < 12; w++) sum += Math.exp(models.unigram(w));
    assert.ok(Math.abs(sum - 1) < 1e-9);
    assert.ok(models.discount > 0 && models.discount < 1);
  });

  it("take the Kneser–Ney discount from the counts of counts, D = n1 / (n1 + 2 n2)", () => {
    // Stream <bos> 4 5 4 5 4 6 <eos>: bigrams 2→4 ×1, 4→5 ×2, 5→4 ×2, 4→6 ×1, 6→1 ×1 → n1 = 3, n2 = 2.
    const models = fitNgramModels(dataset("ney.tokens", [[4, 5, 4, 5, 4, 6]]));
    assert.equal(models.discount, 3 / (3 + 4));
  });

  it("measure what a predictable sequence should give: the bigram near 1, the unigram near the number of symbols", () => {
    const cycle = (n: number) => Array.from({ length: n }, (_, i) => 4 + (i % 4));
    const train = dataset("train.tokens", [cycle(4000)]);
    const validation = dataset("validation.tokens", [cycle(400)]);
    const r = measureNgramBaselines(train, validation);
    assert.equal(r.bigram.numTargets, validation.numSequences * 8);
    assert.ok(r.bigram.perplexity < 1.05, `bigram ${r.bigram.perplexity}`);
    assert.ok(Math.abs(r.unigram.perplexity - 4) < 0.1, `unigram ${r.unigram.perplexity}`);
    assert.ok(Math.abs(r.unigram.crossEntropy - Math.log(r.unigram.perplexity)) < 1e-12);
  });
});
