#!/usr/bin/env node
// Our side of the transformers / PEFT interop check (check_transformers_peft.py holds the other side):
// token ids, full logits and greedy continuations of a few texts on the bundled default model (a checkpoint
// our trainer wrote) and on it with its LoRA demo adapter (which our trainer saved in PEFT's format),
// computed by the reference backend. Usage: npm run build && node test/interop/write-our-outputs.mjs OUT.json
import { writeFileSync } from "node:fs";
import { loadModel } from "../../dist/api/load-model.js";
import { Tokenizer } from "../../dist/tokenizer/tokenizer.js";

const out = process.argv[2];
if (!out) throw new Error("usage: write-our-outputs.mjs OUT.json");
const MODEL = "models/default";
const ADAPTER = "models/default/lora-chat-demo";
const TEXTS = [
  "Call me Ishmael. Some years ago, never mind how long precisely,",
  "In the beginning God created the heaven and the earth.",
  "The day before Saturday is",
];
const GREEDY_TOKENS = 24;

const tokenizer = await Tokenizer.load(MODEL);
const ids = TEXTS.map((t) => Array.from(tokenizer.encode(t, { addSpecialTokens: true })));
const result = { model: MODEL, adapter: ADAPTER, texts: TEXTS, ids, greedyTokens: GREEDY_TOKENS, runs: {} };
for (const [name, lora] of [["base", undefined], ["lora", ADAPTER]]) {
  const model = await loadModel(MODEL, { backend: "reference", ...(lora ? { lora } : {}) });
  const vocab = model.config.vocabSize;
  const logits = [];
  const greedy = [];
  for (const row of ids) {
    const all = await model.logits(row);
    logits.push(Array.from({ length: row.length }, (_, i) => Array.from(all.subarray(i * vocab, (i + 1) * vocab))));
    greedy.push(Array.from(await model.generate(row, { maxNewTokens: GREEDY_TOKENS, temperature: 0, stopTokenIds: [] })));
  }
  result.runs[name] = { logits, greedy };
  model.dispose();
}
writeFileSync(out, JSON.stringify(result));
console.log(`wrote ${out}: ${ids.map((r) => r.length).join("+")} tokens, base and lora`);
