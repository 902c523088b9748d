#!/usr/bin/env node
// Tokenizes data/default-corpus/{train,validation}.jsonl.gz with models/default/tokenizer.json into
// data/default-corpus/packed/{train,validation}.tokens (git-ignored; about 20 s), then measures the
// unigram and bigram baselines on the validation targets and writes models/default/baselines.json.
// Usage: npm run build && node scripts/pack-default-data.mjs [SEQUENCE_LENGTH=256]
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { BpeEncoder } from "../dist/train/tokenizer/bpe-encoder.js";
import { packJsonlDocuments } from "../dist/train/data/pack-jsonl-documents.js";
import { PackedTokenDataset } from "../dist/train/data/packed-token-dataset.js";
import { measureNgramBaselines } from "../dist/train/data/ngram-baselines.js";

const sequenceLength = Number(process.argv[2] ?? 256);
const encoder = BpeEncoder.fromTokenizerJson(JSON.parse(readFileSync("models/default/tokenizer.json", "utf8")), "models/default/tokenizer.json");
mkdirSync("data/default-corpus/packed", { recursive: true });
const splits = {};
for (const split of ["train", "validation"]) {
  const start = performance.now();
  const r = await packJsonlDocuments(`data/default-corpus/${split}.jsonl.gz`, `data/default-corpus/packed/${split}.tokens`, encoder);
  const seconds = (performance.now() - start) / 1000;
  splits[split] = { documents: r.numDocuments, tokens: r.numTokens, textBytes: r.textBytes, bytesPerToken: r.textBytes / r.numTokens };
  console.log(`${split}: ${r.numDocuments} documents, ${r.numTokens} tokens (with <bos>/<eos>), ${(r.textBytes / r.numTokens).toFixed(3)} text bytes/token, ${seconds.toFixed(1)} s`);
}
const train = PackedTokenDataset.open("data/default-corpus/packed/train.tokens", { sequenceLength });
const validation = PackedTokenDataset.open("data/default-corpus/packed/validation.tokens", { sequenceLength });
const baselines = measureNgramBaselines(train, validation);
const bitsPerByte = (r) => (r.crossEntropy * r.numTargets) / Math.LN2 / splits.validation.textBytes;
const report = {
  tokenizer: "models/default/tokenizer.json",
  sequenceLength,
  targets: `validation stream positions 1..${validation.numSequences * sequenceLength} (every target of PackedTokenDataset sequences of length ${sequenceLength})`,
  splits,
  unigram: { ...baselines.unigram, bitsPerTextByte: bitsPerByte(baselines.unigram) },
  bigram: { ...baselines.bigram, bitsPerTextByte: bitsPerByte(baselines.bigram) },
};
writeFileSync("models/default/baselines.json.tmp", JSON.stringify(report, null, 2) + "\n");
renameSync("models/default/baselines.json.tmp", "models/default/baselines.json");
for (const name of ["unigram", "bigram"]) {
  const r = report[name];
  console.log(`${name}: cross-entropy ${r.crossEntropy.toFixed(4)} nats/token, perplexity ${r.perplexity.toFixed(2)}, ${r.bitsPerTextByte.toFixed(3)} bits/byte over ${r.numTargets} targets`);
}
train.close();
validation.close();
