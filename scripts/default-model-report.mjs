#!/usr/bin/env node
// Measures what the default model's card reports: validation cross-entropy / perplexity (from the training
// log: the whole validation split, the same targets as baselines.json), the baselines, speed and wall time,
// and sample continuations (seeded sampling with the model's generation settings, plus greedy).
// Usage: npm run build && node scripts/default-model-report.mjs [MODEL_DIR=models/default]
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../dist/index.js";
import { BpeEncoder } from "../dist/train/tokenizer/bpe-encoder.js";

const dir = process.argv[2] ?? "models/default";
const tokenizerJson = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
const encoder = BpeEncoder.fromTokenizerJson(tokenizerJson, join(dir, "tokenizer.json"));
const idToToken = [];
for (const [token, id] of Object.entries(tokenizerJson.model.vocab)) idToToken[id] = token;
for (const t of tokenizerJson.added_tokens ?? []) idToToken[t.id] = t.content;

/** The tokenizer.json decoder: ▁ → space, <0xNN> byte fallback, fused. */
function decode(ids) {
  const bytes = [];
  for (const id of ids) {
    const token = idToToken[id] ?? "";
    const byte = /^<0x([0-9A-F]{2})>$/.exec(token);
    if (byte) bytes.push(parseInt(byte[1], 16));
    else bytes.push(...Buffer.from(token.replaceAll("\u2581", " "), "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

const log = JSON.parse(readFileSync(join(dir, "training-log.json"), "utf8"));
const baselines = JSON.parse(readFileSync(join(dir, "baselines.json"), "utf8"));
const generation = JSON.parse(readFileSync(join(dir, "generation_config.json"), "utf8"));
const model = await loadModel(dir);
const prompts = ["Call me Ishmael.", "In the beginning God", "Mr. Speaker, Mr. Vice President, Members of Congress,", "The whale", "And it came to pass"];
const samples = [];
for (const prompt of prompts) {
  const ids = [2, ...encoder.encode(prompt)];
  const sampled = await model.generate(ids, { maxNewTokens: 48, temperature: generation.temperature ?? 0.8, topK: generation.top_k ?? 64, topP: generation.top_p ?? 0.95, seed: 1 });
  const greedy = await model.generate(ids, { maxNewTokens: 32, greedy: true });
  samples.push({ prompt, sampled: decode(sampled), greedy: decode(greedy) });
}
model.dispose();
const ce = log.finalValidationLoss;
const report = {
  model: dir,
  validation: { crossEntropy: ce, perplexity: Math.exp(ce), tokens: log.finalValidationTokens, bitsPerTextByte: (ce * log.finalValidationTokens) / Math.LN2 / baselines.splits.validation.textBytes },
  baselines: { unigram: baselines.unigram, bigram: baselines.bigram },
  perplexityVsBigram: baselines.bigram.perplexity / Math.exp(ce),
  training: { steps: log.history.steps.length, tokensSeen: log.tokensSeen, wallSeconds: log.wallSeconds, workers: log.workers, tokensPerSecond: log.tokensSeen / log.wallSeconds, lastTrainLoss: log.history.steps.at(-1)?.loss },
  evals: log.history.evals,
  samples,
};
writeFileSync(join(dir, "report.json.tmp"), JSON.stringify(report, null, 2) + "\n");
renameSync(join(dir, "report.json.tmp"), join(dir, "report.json"));
console.log(JSON.stringify({ validation: report.validation, perplexityVsBigram: report.perplexityVsBigram, training: report.training }, null, 2));
for (const s of samples) console.log(`\n> ${s.prompt}\n  sampled: ${s.sampled}\n  greedy:  ${s.greedy}`);
