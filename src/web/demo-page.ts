/**
 * The browser demo: loads a Hugging Face model folder served next to the page (config.json +
 * model.safetensors), runs it on the WebGPU backend and generates greedy tokens, all in the page; the
 * token choice happens on the GPU too (`sampleGreedy`), so each step reads back one id.
 * URL parameters: model (folder URL), prompt (comma-separated token ids), tokens (how many to generate).
 * The result is shown and left in `globalThis.gemmaDemo` for tests.
 */
import { WebGpuBackend } from "../backends/webgpu/webgpu-backend.js";
import { Session } from "../engine/session.js";
import { parseHfConfig } from "../formats/hf-config.js";
import { JsonFields } from "../formats/json-fields.js";
import { GemmaDecoder } from "../model/decoder.js";
import { loadModelWeights } from "../model/model-weights.js";
import { FetchedSafetensors } from "./fetched-safetensors.js";

export interface DemoResult {
  status: "running" | "done" | "error";
  adapter?: string;
  tokens?: number[];
  error?: string;
  log: string[];
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Greedy generation of `count` tokens after `prompt` with the model at `modelUrl`. */
export async function runDemo(modelUrl: string, prompt: Int32Array, count: number, log: (line: string) => void): Promise<{ adapter: string; tokens: number[] }> {
  const base = modelUrl.endsWith("/") ? modelUrl : `${modelUrl}/`;
  const configText = await (await fetch(`${base}config.json`)).text();
  const genResponse = await fetch(`${base}generation_config.json`);
  const generation = genResponse.ok ? JsonFields.parse(`${base}generation_config.json`, await genResponse.text()) : null;
  const { config } = parseHfConfig(JsonFields.parse(`${base}config.json`, configText), generation);
  log(`config: ${config.modelType}, ${config.numLayers} layers, hidden ${config.hiddenDim}, vocab ${config.vocabSize}`);
  const backend = await WebGpuBackend.create();
  const a = backend.adapter;
  const adapter = `${a.vendor} ${a.architecture} ${a.device} (${a.description})`;
  log(`adapter: ${adapter}`);
  const source = new FetchedSafetensors(`${base}model.safetensors`, await fetchBytes(`${base}model.safetensors`));
  const decoder = new GemmaDecoder(config, loadModelWeights(config, source, backend), backend);
  const session = new Session(decoder, { maxContext: prompt.length + count, prefillChunk: prompt.length });
  const tokens: number[] = [];
  let input = prompt;
  const t0 = performance.now();
  let tFirst = t0;
  for (let i = 0; i < count; i++) {
    const logits = decoder.forward(input, session.cache, { logits: "last" });
    const { ids } = await backend.sampleGreedy(logits);
    backend.release(logits);
    tokens.push(ids[0]!);
    input = Int32Array.of(ids[0]!);
    if (i === 0) tFirst = performance.now();
  }
  const t1 = performance.now();
  log(`prefill + first token ${(tFirst - t0).toFixed(0)} ms (includes shader compiles); then ${count > 1 ? ((t1 - tFirst) / (count - 1)).toFixed(1) : "-"} ms/token`);
  session.dispose();
  backend.dispose();
  log(`tokens: ${tokens.join(", ")}`);
  return { adapter, tokens };
}

interface PageGlobals {
  gemmaDemo?: DemoResult;
  location?: { search: string };
  document?: { getElementById(id: string): { textContent: string | null } | null };
}

const page = globalThis as PageGlobals;
if (page.location && page.document) {
  const params = new URLSearchParams(page.location.search);
  const result: DemoResult = { status: "running", log: [] };
  page.gemmaDemo = result;
  const out = page.document.getElementById("output");
  const log = (line: string): void => {
    result.log.push(line);
    if (out) out.textContent = result.log.join("\n");
  };
  const prompt = Int32Array.from((params.get("prompt") ?? "2,10,20,30").split(",").map(Number));
  runDemo(params.get("model") ?? "../test/fixtures/hf/gemma4-dense", prompt, Number(params.get("tokens") ?? "8"), log).then(
    ({ adapter, tokens }) => Object.assign(result, { status: "done", adapter, tokens }),
    (e: unknown) => {
      log(`error: ${e instanceof Error ? e.message : String(e)}`);
      Object.assign(result, { status: "error", error: e instanceof Error ? e.message : String(e) });
    },
  );
}
