// One measurement in a fresh process (so peak RSS is this engine's own): load a GGUF file, warm up,
// prefill `prefill` tokens, then decode `decode` tokens greedily; prints one JSON line.
// Usage: node bench/cpu-bench-run.mjs ours|llama FILE THREADS PREFILL DECODE [node-llama-cpp dir]
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [engine, file, threadsArg, prefillArg, decodeArg, llamaDir] = process.argv.slice(2);
const threads = Number(threadsArg);
const nPrefill = Number(prefillArg);
const nDecode = Number(decodeArg);

// Token ids away from the special ones; the same for both engines.
const prompt = Array.from({ length: nPrefill }, (_, i) => 1000 + ((i * 7919) % 200000));
const warm = prompt.slice(0, 16);

function argmax(row) {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

async function runOurs() {
  const { GgufModel } = await import("../dist/formats/gguf/gguf-model.js");
  const { GemmaDecoder } = await import("../dist/model/decoder.js");
  const { loadModelWeights } = await import("../dist/model/model-weights.js");
  const { Session } = await import("../dist/engine/session.js");
  const { createBackend } = await import("../dist/backends/create-backend.js");
  const t0 = performance.now();
  const backend = await createBackend("cpu", { threads, kvDtype: "f16" }); // llama.cpp's default KV type
  const source = GgufModel.open(file);
  const decoder = new GemmaDecoder(source.config, loadModelWeights(source.config, source, backend), backend);
  source.close();
  const loadS = (performance.now() - t0) / 1000;
  const session = () => new Session(decoder, { maxContext: nPrefill + nDecode + 32, prefillChunk: 512 });
  {
    const s = session();
    let logits = await s.prefill(Int32Array.from(warm));
    for (let i = 0; i < 4; i++) logits = await s.step(argmax(logits));
    s.dispose();
  }
  const s = session();
  const p0 = performance.now();
  let logits = await s.prefill(Int32Array.from(prompt));
  const p1 = performance.now();
  let token = argmax(logits);
  const d0 = performance.now();
  for (let i = 0; i < nDecode; i++) {
    logits = await s.step(token);
    token = argmax(logits);
  }
  const d1 = performance.now();
  s.dispose();
  return { engine: `gemma4 (${backend.variant}, ${backend.kernels.kind})`, loadS, prefillS: (p1 - p0) / 1000, decodeS: (d1 - d0) / 1000, lastToken: token };
}

async function runLlama() {
  const { getLlama, LlamaLogLevel } = await import(pathToFileURL(join(llamaDir, "node_modules", "node-llama-cpp", "dist", "index.js")).href);
  const t0 = performance.now();
  const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, maxThreads: threads, build: "never" });
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: nPrefill + nDecode + 64, batchSize: 512, threads: { ideal: threads, min: threads }, sequences: 1 });
  const loadS = (performance.now() - t0) / 1000;
  const sequence = context.getSequence();
  const greedy = { temperature: 0 };
  {
    let n = 0;
    for await (const _ of sequence.evaluate(warm, greedy)) if (++n >= 4) break;
    await sequence.clearHistory();
  }
  const p0 = performance.now();
  await sequence.evaluateWithoutGeneratingNewTokens(prompt);
  const p1 = performance.now();
  // Decode: the first generated token comes from the prompt's last logits (computed by the prefill above
  // in ours); node-llama-cpp evaluates one more token per generated one, as ours does.
  let n = 0;
  let last = 0;
  const d0 = performance.now();
  for await (const t of sequence.evaluate([prompt[prompt.length - 1]], greedy)) {
    last = t;
    if (++n >= nDecode) break;
  }
  const d1 = performance.now();
  await context.dispose();
  await model.dispose();
  return { engine: `llama.cpp (node-llama-cpp ${llama.buildType ?? ""})`.trim(), loadS, prefillS: (p1 - p0) / 1000, decodeS: (d1 - d0) / 1000, lastToken: last };
}

const result = engine === "ours" ? await runOurs() : await runLlama();
const maxRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ ...result, prefillTps: nPrefill / result.prefillS, decodeTps: nDecode / result.decodeS, maxRssMB }));
process.exit(0);
