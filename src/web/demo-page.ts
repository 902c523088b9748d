/**
 * The browser demo: loads a Hugging Face model folder served next to the page and generates with it, all in
 * the page, through the same `Model` as Node (web/fetched-model.ts). On WebGPU the token choice happens on the
 * GPU too, so each step reads back a few candidates; without WebGPU (or with backend=cpu) the CPU kernels run
 * as WebAssembly SIMD on the page's thread.
 * URL parameters:
 *   model    the folder's URL (default ../test/fixtures/hf/gemma4-dense)
 *   backend  webgpu | cpu | auto (default auto: WebGPU when the browser has an adapter, else cpu)
 *   prompt   comma-separated token ids (plain generation), or
 *   text     a text to continue (needs tokenizer.json), or
 *   chat     a user message to answer in the model's chat format
 *   tokens   how many tokens to generate, greedy (default 8)
 * The result is shown and left in `globalThis.gemmaDemo` for tests.
 */
import type { Model } from "../api/model.js";
import { CpuBackend } from "../backends/cpu/cpu-backend.js";
import { loadWasmKernels } from "../backends/cpu/wasm-kernels.js";
import type { Backend } from "../backends/ops.js";
import { WebGpuBackend } from "../backends/webgpu/webgpu-backend.js";
import { UnsupportedError } from "../errors.js";
import { loadModelFromUrl } from "./fetched-model.js";

export type DemoBackend = "webgpu" | "cpu" | "auto";

export type DemoPrompt =
  | { readonly kind: "ids"; readonly ids: Int32Array }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "chat"; readonly message: string };

export interface DemoResult {
  status: "running" | "done" | "error";
  /** The backend that ran, with its device (the WebGPU adapter or the CPU kernels). */
  backend?: string;
  /** Generated token ids (for an ids prompt). */
  tokens?: number[];
  /** Generated text (for a text or chat prompt). */
  text?: string;
  error?: string;
  log: string[];
}

interface PageBackend {
  readonly backend: Backend;
  readonly description: string;
  dispose(): void;
}

async function createPageBackend(kind: DemoBackend, log: (line: string) => void): Promise<PageBackend> {
  if (kind !== "cpu") {
    const hasGpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu !== undefined;
    if (hasGpu || kind === "webgpu") {
      try {
        const backend = await WebGpuBackend.create();
        const a = backend.adapter;
        return { backend, description: `webgpu: ${a.vendor} ${a.architecture} ${a.device} (${a.description})`, dispose: () => backend.dispose() };
      } catch (e) {
        if (kind === "webgpu") throw e;
        log(`no WebGPU (${e instanceof Error ? e.message : String(e)}); using the CPU`);
      }
    }
  }
  const kernels = loadWasmKernels();
  if (!kernels) throw new UnsupportedError("this browser runs neither WebGPU nor WebAssembly SIMD");
  const backend = new CpuBackend(kernels, { threads: 1 });
  return { backend, description: `cpu: ${backend.variant} kernels (WebAssembly), 1 thread`, dispose: () => {} };
}

/** Loads the model at `modelUrl` on `backendKind` and generates `count` greedy tokens after `prompt`. */
export async function runDemo(modelUrl: string, backendKind: DemoBackend, prompt: DemoPrompt, count: number, log: (line: string) => void,
  onText: (text: string) => void = () => {}): Promise<Omit<DemoResult, "status" | "log">> {
  const { backend, description, dispose } = await createPageBackend(backendKind, log);
  log(description);
  let model: Model | null = null;
  try {
    const t0 = performance.now();
    model = await loadModelFromUrl(modelUrl, backend, prompt.kind === "ids" ? { maxContext: prompt.ids.length + count } : {});
    const c = model.config;
    log(`model: ${c.modelType}, ${c.numLayers} layers, hidden ${c.hiddenDim}, vocab ${c.vocabSize}, loaded in ${(performance.now() - t0).toFixed(0)} ms`);
    const start = performance.now();
    let first = start;
    let generated = 0;
    const tick = (): void => {
      if (generated++ === 0) first = performance.now();
    };
    const result: Omit<DemoResult, "status" | "log"> = { backend: description };
    if (prompt.kind === "ids") {
      const tokens: number[] = [];
      for await (const token of model.stream(prompt.ids, { greedy: true, maxNewTokens: count, stopTokenIds: [] })) {
        tick();
        tokens.push(token.id);
      }
      result.tokens = tokens;
      log(`tokens: ${tokens.join(", ")}`);
    } else {
      let text = "";
      const events = prompt.kind === "text"
        ? model.complete({ prompt: prompt.text, greedy: true, maxNewTokens: count })
        : model.chat({ messages: [{ role: "user", content: prompt.message }], greedy: true, maxNewTokens: count });
      for await (const event of events) {
        if (event.type === "token") tick();
        if (event.type === "text" || event.type === "content") {
          text += event.text;
          onText(text);
        }
      }
      result.text = text;
    }
    const end = performance.now();
    log(`prefill + first token ${(first - start).toFixed(0)} ms (includes shader compiles on WebGPU); then ${generated > 1 ? ((end - first) / (generated - 1)).toFixed(1) : "-"} ms/token`);
    return result;
  } finally {
    model?.dispose();
    dispose();
  }
}

/** The prompt the page's URL asks for. */
export function promptFromParams(params: URLSearchParams): DemoPrompt {
  const text = params.get("text");
  if (text !== null) return { kind: "text", text };
  const chat = params.get("chat");
  if (chat !== null) return { kind: "chat", message: chat };
  return { kind: "ids", ids: Int32Array.from((params.get("prompt") ?? "2,10,20,30").split(",").map(Number)) };
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
  const answer = page.document.getElementById("answer");
  const log = (line: string): void => {
    result.log.push(line);
    if (out) out.textContent = result.log.join("\n");
  };
  const backend = (params.get("backend") ?? "auto") as DemoBackend;
  const fail = (message: string): void => {
    log(`error: ${message}`);
    Object.assign(result, { status: "error", error: message });
  };
  if (!["webgpu", "cpu", "auto"].includes(backend)) {
    fail(`backend=${backend}: expected webgpu, cpu or auto`);
  } else {
    runDemo(params.get("model") ?? "../test/fixtures/hf/gemma4-dense", backend, promptFromParams(params), Number(params.get("tokens") ?? "8"), log,
      (text) => { if (answer) answer.textContent = text; }).then(
      (done) => Object.assign(result, { status: "done", ...done }),
      (e: unknown) => fail(e instanceof Error ? e.message : String(e)),
    );
  }
}
