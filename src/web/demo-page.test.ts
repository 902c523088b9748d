/**
 * The browser demo in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core, WebGPU on
 * its SwiftShader adapter): the page loads the gemma4-dense fixture, generates greedy tokens on WebGPU,
 * and they must equal transformers' (the fixture's reference) and the Node WebGPU backend's. Skips loudly
 * without Chromium; GEMMA4_REQUIRE_BROWSER=1 turns that into a failure (CI).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PACKAGE_ROOT, readHfReference } from "../testing/fixtures.js";
import { runDemoInNode } from "./demo-node.js";
import type { DemoResult } from "./demo-page.js";
import { serveStatic } from "./static-server.js";

const CHROMIUM = "/usr/bin/chromium";
/** Flags that give headless Chromium a WebGPU adapter without a GPU (see shared/docs/gpu.md; playwright
 *  adds --headless and its own temporary profile). The page must come from http://127.0.0.1 (a secure
 *  context): about:blank gets no adapter. */
const CHROMIUM_ARGS = [
  "--no-sandbox", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-quic", "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-webgpu-adapter=swiftshader",
];
const FIXTURE = "gemma4-dense";

test("web demo in headless Chromium generates transformers' greedy tokens on WebGPU", { timeout: 240_000 }, async (t) => {
  const required = process.env.GEMMA4_REQUIRE_BROWSER === "1";
  if (!existsSync(CHROMIUM)) {
    const why = `${CHROMIUM} is missing (apt-get install chromium)`;
    if (required) throw new Error(`GEMMA4_REQUIRE_BROWSER=1 but ${why}`);
    console.warn(`\n*** SKIPPING the browser test: ${why}; set GEMMA4_REQUIRE_BROWSER=1 to make this a failure ***\n`);
    t.skip(why);
    return;
  }
  const ref = readHfReference(FIXTURE);
  const prompt = ref.prompt[0]!;
  // The first 16 generated tokens: prefill plus 15 decode steps through the KV cache (SwiftShader is slow).
  const expected = Array.from(ref.output[0]!.subarray(prompt.length, prompt.length + 16));

  const { chromium } = await import("playwright-core");
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  const server = await serveStatic(PACKAGE_ROOT);
  const consoleLines: string[] = [];
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage();
    page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
    const url = `${server.url}/web/index.html?model=../test/fixtures/hf/${FIXTURE}&prompt=${prompt.join(",")}&tokens=${expected.length}`;
    await page.goto(url);
    await page.waitForFunction(() => {
      const demo = (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo;
      return demo !== undefined && demo.status !== "running";
    }, undefined, { timeout: 200_000 });
    const result = await page.evaluate(() => (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo!);
    console.log(`browser demo: ${result.log.join(" | ")}`);
    assert.equal(result.status, "done", `page failed: ${result.error}; console: ${consoleLines.join(" / ")}`);
    assert.deepEqual(result.tokens, expected, "page tokens vs transformers");
    const node = await runDemoInNode(join(PACKAGE_ROOT, "test", "fixtures", "hf", FIXTURE), prompt, expected.length);
    if (node) assert.deepEqual(result.tokens, node.tokens, `page tokens vs Node's WebGPU backend (${node.adapter})`);
    else console.warn("*** browser test: no WebGPU adapter in Node, compared with transformers' tokens only ***");
  } finally {
    await browser?.close();
    await server.close();
  }
});
