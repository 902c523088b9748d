#!/usr/bin/env node
// The default model's LoRA demonstration: fine-tunes models/default on data/chat-demo (CC0) with LoRA,
// then checks that the saved PEFT adapter reloads with bit-identical logits on the training backend and
// within 1e-4 through loadModel({ lora }) (merged at load), and writes the numbers to OUT/lora-demo.json.
// Usage: npm run build && node scripts/make-chat-demo-data.mjs && node scripts/lora-demo.mjs [OUT=models/default/lora-chat-demo] [BASE=models/default] [STEPS=40]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../dist/index.js";
import { finetuneSpec } from "../dist/cli/commands/finetune.js";
import { runTraining } from "../dist/train/loop/training-run.js";
import { loadTrainableModel } from "../dist/train/load-trainable-model.js";
import { BpeEncoder } from "../dist/train/tokenizer/bpe-encoder.js";

const out = process.argv[2] ?? "models/default/lora-chat-demo";
const base = process.argv[3] ?? "models/default";
const steps = process.argv[4] ?? "40";
const args = [base, "--data", "data/chat-demo/train.jsonl", "--validation", "data/chat-demo/validation.jsonl", "--lora-r", "8", "--lora-alpha", "16",
  "--lora-dropout", "0.05", "--steps", steps, "--lr", "2e-3", "--warmup", "5", "--batch-size", "8", "--micro-batch", "4", "--sequence-length", "128",
  "--eval-every", "10", "--workers", "2", "--seed", "7", "--out", out];
const result = await runTraining(await finetuneSpec(args));
const encoder = BpeEncoder.fromTokenizerJson(JSON.parse(readFileSync(join(base, "tokenizer.json"), "utf8")));
const probe = Int32Array.from([2, ...encoder.encode("<|turn>user\nWhat day comes after Friday?<turn|>\n<|turn>model\n<|channel>thought\n<channel|>")]);
const trained = result.model.logits(probe);
const reloaded = loadTrainableModel(base, out).logits(probe);
let maxTraining = 0;
for (let i = 0; i < trained.length; i++) maxTraining = Math.max(maxTraining, Math.abs(trained[i] - reloaded[i]));
const engine = await loadModel(base, { lora: out });
const merged = await engine.logits(probe);
engine.dispose();
let maxEngine = 0;
for (let i = 0; i < trained.length; i++) maxEngine = Math.max(maxEngine, Math.abs(trained[i] - merged[i]));
const answer = await (async () => {
  const m = await loadModel(base, { lora: out });
  const ids = await m.generate(probe, { maxNewTokens: 16, greedy: true });
  m.dispose();
  return [...ids];
})();
const tokenizerJson = JSON.parse(readFileSync(join(base, "tokenizer.json"), "utf8"));
const idToToken = [];
for (const [token, id] of Object.entries(tokenizerJson.model.vocab)) idToToken[id] = token;
for (const t of tokenizerJson.added_tokens ?? []) idToToken[t.id] = t.content;
const decode = (ids) => ids.map((id) => idToToken[id] ?? "").join("").replaceAll("\u2581", " ");
const evals = result.history.evals;
const report = {
  command: `gemma4 finetune ${args.join(" ")}`,
  validationLoss: { first: evals[0], last: evals.at(-1) },
  trainingSeconds: result.wallSeconds,
  tokensSeen: result.tokensSeen,
  reload: { trainingBackendMaxAbsDiff: maxTraining, engineMergedMaxAbsDiff: maxEngine },
  probe: "What day comes after Friday?",
  probeAnswer: decode(answer),
};
writeFileSync(join(out, "lora-demo.json"), JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report, null, 2));
