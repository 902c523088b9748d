/** The demo's generation in Node (same code as the page, files read from disk), for the browser test. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runDemo, type DemoBackend, type DemoPrompt, type DemoResult } from "./demo-page.js";

/** What the page would generate, run in Node; null when WebGPU was asked for and Node has no adapter. */
export async function runDemoInNode(dir: string, backend: DemoBackend, prompt: DemoPrompt, count: number): Promise<Omit<DemoResult, "status" | "log"> | null> {
  const realFetch = globalThis.fetch;
  // runDemo fetches the folder's files; serve them from disk.
  globalThis.fetch = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    try {
      return new Response(readFileSync(url.pathname));
    } catch {
      return new Response(null, { status: 404 });
    }
  }) as typeof fetch;
  try {
    return await runDemo(pathToFileURL(join(dir, "/")).href, backend, prompt, count, () => {});
  } catch (e) {
    if (backend === "webgpu" && e instanceof Error && /no WebGPU adapter|needs the npm package/.test(e.message)) return null;
    throw e;
  } finally {
    globalThis.fetch = realFetch;
  }
}
