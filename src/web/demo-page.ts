/**
 * The browser demo: loads a Hugging Face model folder served next to the page and generates with it, all in
 * the page, through the same `Model` as Node (web/fetched-model.ts). On WebGPU the token choice happens on the
 * GPU too, so each step reads back a few candidates; without WebGPU (or with backend=cpu) the CPU kernels run
 * as WebAssembly SIMD on the page's thread.
 * URL parameters:
 *   model    the folder's URL (default ../models/default, the bundled model)
 *   backend  webgpu | cpu | auto (default auto: WebGPU when the browser has an adapter, else cpu)
 *   prompt   comma-separated token ids (plain generation), or
 *   text     a text to continue (needs tokenizer.json), or
 *   chat     a user message to answer in the model's chat format;
 *            with none of the three, the page loads the model once and asks in a form
 *   tokens   how many tokens to generate, greedy (default 64)
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
  /** "ready": the model is loaded and the page's form waits for a prompt. */
  status: "running" | "ready" | "done" | "error";
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

export interface DemoModel {
  readonly model: Model;
  /** The backend that runs it, with its device. */
  readonly description: string;
  dispose(): void;
}

/** Loads the model folder at `modelUrl` onto a backend of `backendKind`. */
export async function loadDemoModel(modelUrl: string, backendKind: DemoBackend, log: (line: string) => void): Promise<DemoModel> {
  const page = await createPageBackend(backendKind, log);
  log(page.description);
  try {
    const t0 = performance.now();
    const model = await loadModelFromUrl(modelUrl, page.backend);
    const c = model.config;
    log(`model: ${c.modelType}, ${c.numLayers} layers, hidden ${c.hiddenDim}, vocab ${c.vocabSize}, loaded in ${(performance.now() - t0).toFixed(0)} ms`);
    return { model, description: page.description, dispose: () => { model.dispose(); page.dispose(); } };
  } catch (e) {
    page.dispose();
    throw e;
  }
}

/** Generates `count` greedy tokens after `prompt`: token ids for an ids prompt, else the text (streamed to `onText`). */
export async function generateDemo(model: Model, prompt: DemoPrompt, count: number, log: (line: string) => void,
  onText: (text: string) => void = () => {}): Promise<Pick<DemoResult, "tokens" | "text">> {
  const start = performance.now();
  let first = start;
  let generated = 0;
  const tick = (): void => {
    if (generated++ === 0) first = performance.now();
  };
  const result: Pick<DemoResult, "tokens" | "text"> = {};
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
  log(`prefill + first token ${(first - start).toFixed(0)} ms (the first run includes shader compiles on WebGPU); then ${generated > 1 ? ((end - first) / (generated - 1)).toFixed(1) : "-"} ms/token`);
  return result;
}

/** Loads the model at `modelUrl` on `backendKind`, generates once, and frees everything. */
export async function runDemo(modelUrl: string, backendKind: DemoBackend, prompt: DemoPrompt, count: number, log: (line: string) => void,
  onText: (text: string) => void = () => {}): Promise<Omit<DemoResult, "status" | "log">> {
  const demo = await loadDemoModel(modelUrl, backendKind, log);
  try {
    return { backend: demo.description, ...(await generateDemo(demo.model, prompt, count, log, onText)) };
  } finally {
    demo.dispose();
  }
}

/** The prompt the page's URL asks for, or null: then the page asks in its form. */
export function promptFromParams(params: URLSearchParams): DemoPrompt | null {
  const text = params.get("text");
  if (text !== null) return { kind: "text", text };
  const chat = params.get("chat");
  if (chat !== null) return { kind: "chat", message: chat };
  const ids = params.get("prompt");
  return ids === null ? null : { kind: "ids", ids: Int32Array.from(ids.split(",").map(Number)) };
}

interface PageElement {
  textContent: string | null;
  value: string;
  disabled: boolean;
  hidden: boolean;
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void;
}

interface PageGlobals {
  gemmaDemo?: DemoResult;
  location?: { search: string };
  document?: { getElementById(id: string): PageElement | null };
}

const page = globalThis as PageGlobals;
if (page.location && page.document) {
  const doc = page.document;
  const params = new URLSearchParams(page.location.search);
  const result: DemoResult = { status: "running", log: [] };
  page.gemmaDemo = result;
  const element = (id: string): PageElement | null => doc.getElementById(id);
  const log = (line: string): void => {
    result.log.push(line);
    const out = element("output");
    if (out) out.textContent = result.log.join("\n");
  };
  const show = (text: string): void => {
    const answer = element("answer");
    if (answer) answer.textContent = text;
  };
  const fail = (e: unknown): void => {
    const message = e instanceof Error ? e.message : String(e);
    log(`error: ${message}`);
    Object.assign(result, { status: "error", error: message });
  };
  const backend = (params.get("backend") ?? "auto") as DemoBackend;
  const count = Number(params.get("tokens") ?? "64");
  const prompt = promptFromParams(params);
  if (!["webgpu", "cpu", "auto"].includes(backend)) {
    fail(`backend=${backend}: expected webgpu, cpu or auto`);
  } else if (prompt) {
    // One generation from the URL's prompt (what the tests drive).
    runDemo(params.get("model") ?? "../models/default", backend, prompt, count, log, show).then(
      (done) => Object.assign(result, { status: "done", ...done }),
      fail,
    );
  } else {
    // The form: load once, then generate for each submission with the loaded model.
    loadDemoModel(params.get("model") ?? "../models/default", backend, log).then((demo) => {
      result.backend = demo.description;
      result.status = "ready";
      const form = element("form");
      const button = element("generate");
      if (form) form.hidden = false;
      if (button) button.disabled = false;
      form?.addEventListener("submit", (event) => {
        event.preventDefault();
        const input = element("input")?.value ?? "";
        const asked: DemoPrompt = element("mode")?.value === "text" ? { kind: "text", text: input } : { kind: "chat", message: input };
        const tokens = Number(element("tokens")?.value ?? count);
        if (button) button.disabled = true;
        result.status = "running";
        show("");
        generateDemo(demo.model, asked, Number.isInteger(tokens) && tokens > 0 ? tokens : count, log, show).then(
          (done) => Object.assign(result, { status: "done", ...done }),
          fail,
        ).finally(() => { if (button) button.disabled = false; });
      });
    }, fail);
  }
}
