#!/usr/bin/env node
// Prints how closely a backend reproduces each transformers fixture in test/fixtures/hf:
// max |Δ| of full-pass logits and hidden states, greedy tokens, incremental and chunked prefill.
// Usage: node scripts/fixture-report.mjs [backend]   (after npm run build)
import { join } from "node:path";
import { createBackend } from "../dist/backends/create-backend.js";
import { readHfConfig } from "../dist/formats/hf-config.js";
import { SafetensorsCheckpoint } from "../dist/formats/safetensors-checkpoint.js";
import { GemmaDecoder } from "../dist/model/decoder.js";
import { loadModelWeights } from "../dist/model/model-weights.js";
import { Session } from "../dist/engine/session.js";
import { HF_FIXTURES, argmaxRow, hfFixtureNames, maxAbsDiff, readHfReference } from "../dist/testing/fixtures.js";

const backendName = process.argv[2] ?? "reference";
const backend = await createBackend(backendName);
const rows = [];
for (const name of hfFixtureNames()) {
  const dir = join(HF_FIXTURES, name);
  const { config } = readHfConfig(dir);
  const ckpt = SafetensorsCheckpoint.open(dir);
  const decoder = new GemmaDecoder(config, loadModelWeights(config, ckpt, backend), backend);
  ckpt.close();
  const ref = readHfReference(name);
  const V = config.vocabSize;
  let logitDiff = 0, hiddenDiff = 0, incDiff = 0, chunkDiff = 0, greedyOk = true, newTokens = 0;
  for (let b = 0; b < ref.inputIds.length; b++) {
    const s = new Session(decoder, { maxContext: 128, prefillChunk: 64 });
    const reads = [];
    const out = decoder.forward(ref.inputIds[b], s.cache, { logits: "all", onHiddenState: b === 0 ? (i, t) => { reads[i] = backend.read(t); } : undefined });
    logitDiff = Math.max(logitDiff, maxAbsDiff(await backend.read(out), ref.logits[b]));
    const hidden = await Promise.all(reads);
    hidden.forEach((h, i) => { hiddenDiff = Math.max(hiddenDiff, maxAbsDiff(h, ref.hiddenStates[i])); });
  }
  for (let b = 0; b < ref.prompt.length; b++) {
    const prompt = ref.prompt[b], output = ref.output[b];
    newTokens = output.length - prompt.length;
    const s = new Session(decoder, { maxContext: 128, prefillChunk: prompt.length });
    const rowsOut = [await s.prefill(prompt, "all")];
    for (let i = prompt.length; i < output.length; i++) {
      const last = rowsOut[rowsOut.length - 1];
      const predicted = argmaxRow(last, last.length / V - 1, V);
      if (predicted !== output[i]) greedyOk = false;
      rowsOut.push(await s.step(output[i]));
    }
    const all = new Float32Array(rowsOut.reduce((n, r) => n + r.length, 0));
    let o = 0;
    for (const r of rowsOut) { all.set(r, o); o += r.length; }
    incDiff = Math.max(incDiff, maxAbsDiff(all.subarray(0, output.length * V), ref.generateLogits[b]));
    for (const chunk of [1, 3, 7]) {
      const c = new Session(decoder, { maxContext: 128, prefillChunk: chunk });
      chunkDiff = Math.max(chunkDiff, maxAbsDiff(await c.prefill(output, "all"), ref.generateLogits[b]));
    }
  }
  rows.push({ name, logitDiff, hiddenDiff, incDiff, chunkDiff, greedy: greedyOk ? `identical (2×${newTokens})` : "DIFFERENT" });
}
const f = (x) => x.toExponential(1);
console.log(`backend: ${backendName}`);
console.log("| fixture | max Δ logits (full pass) | max Δ hidden | greedy tokens | max Δ logits incremental | max Δ logits chunks 1/3/7 |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(`| ${r.name} | ${f(r.logitDiff)} | ${f(r.hiddenDiff)} | ${r.greedy} | ${f(r.incDiff)} | ${f(r.chunkDiff)} |`);
