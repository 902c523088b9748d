/**
 * The browser demo in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core, WebGPU on
 * its SwiftShader adapter): the page loads the gemma4-dense fixture and generates greedy tokens on WebGPU,
 * which must equal transformers' (the fixture's reference) and the Node WebGPU backend's; then it runs the
 * bundled default model from text (tokenizer, chat template and engine in the page) on the CPU kernels as
 * WebAssembly, which must write what the same code writes in Node. Skips loudly without
 * Chromium; GEMMA4_REQUIRE_BROWSER=1 turns that into a failure (CI).
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

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof import("playwright-core")["chromium"]["launch"]>>["newPage"]>>;

/** Opens the demo page with `query` and waits for its result. */
async function runPage(page: Page, url: string, query: string, consoleLines: string[]): Promise<DemoResult> {
  await page.goto(`${url}/web/index.html?${query}`);
  await page.waitForFunction(() => {
    const demo = (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo;
    return demo !== undefined && demo.status !== "running";
  }, undefined, { timeout: 200_000 });
  const result = await page.evaluate(() => (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo!);
  console.log(`browser demo (${query.slice(0, 160)}): ${result.log.join(" | ")}`);
  assert.equal(result.status, "done", `page failed: ${result.error}; console: ${consoleLines.join(" / ")}`);
  return result;
}

test("web demo in headless Chromium: transformers' greedy tokens on WebGPU; text and chat on the CPU kernels (WebAssembly) as in Node", { timeout: 400_000 }, async (t) => {
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

    await t.test("token ids on WebGPU: transformers' greedy tokens, and Node's", async () => {
      const result = await runPage(page, server.url, `model=../test/fixtures/hf/${FIXTURE}&backend=webgpu&prompt=${prompt.join(",")}&tokens=${expected.length}`, consoleLines);
      assert.match(result.backend ?? "", /^webgpu: /);
      assert.deepEqual(result.tokens, expected, "page tokens vs transformers");
      const node = await runDemoInNode(join(PACKAGE_ROOT, "test", "fixtures", "hf", FIXTURE), "webgpu", { kind: "ids", ids: prompt }, expected.length);
      if (node) assert.deepEqual(result.tokens, node.tokens, `page tokens vs Node's WebGPU backend (${node.backend})`);
      else console.warn("*** browser test: no WebGPU adapter in Node, compared with transformers' tokens only ***");
    });

    // The bundled default model, text in and out: tokenizer, chat template, engine and streaming detokenizer in the page.
    const defaultModel = join(PACKAGE_ROOT, "models", "default");
    const text = "Call me Ishmael.";
    const node = await runDemoInNode(defaultModel, "cpu", { kind: "text", text }, 24);
    const nodeChat = await runDemoInNode(defaultModel, "cpu", { kind: "chat", message: "Where is the whale?" }, 24);
    assert.ok((node?.text ?? "").length > 0 && (nodeChat?.text ?? "").length > 0, "Node generated text");

    await t.test("a text prompt on the CPU kernels as WebAssembly: the same text as Node", async () => {
      const result = await runPage(page, server.url, `model=../models/default&backend=cpu&text=${encodeURIComponent(text)}&tokens=24`, consoleLines);
      assert.match(result.backend ?? "", /^cpu: .*WebAssembly/);
      assert.equal(result.text, node!.text);
      assert.equal(await page.locator("#answer").textContent(), node!.text, "shown in the page");
    });

    // (The page's WebGPU path through the same engine is the token-id case above; a second WebGPU page would
    // compile every shader again on SwiftShader, ~20 s.)
    await t.test("a chat turn (the chat template in the page) on the CPU kernels: the same answer as Node", async () => {
      const result = await runPage(page, server.url, `model=../models/default&backend=cpu&chat=${encodeURIComponent("Where is the whale?")}&tokens=24`, consoleLines);
      assert.equal(result.text, nodeChat!.text);
    });

    await t.test("the page's form: the model loads once, then each prompt is generated with it", async () => {
      await page.goto(`${server.url}/web/index.html?backend=cpu`);
      const status = (): Promise<string | undefined> => page.evaluate(() => (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo?.status);
      await page.waitForFunction(() => ["ready", "error"].includes((globalThis as { gemmaDemo?: DemoResult }).gemmaDemo?.status ?? ""), undefined, { timeout: 60_000 });
      assert.equal(await status(), "ready", consoleLines.join(" / "));
      for (const [mode, input, expected] of [["text", text, node!.text], ["chat", "Where is the whale?", nodeChat!.text]] as const) {
        await page.locator("#mode").selectOption(mode);
        await page.locator("#input").fill(input);
        await page.locator("#tokens").fill("24");
        await page.locator("#generate").click();
        await page.waitForFunction(() => ["done", "error"].includes((globalThis as { gemmaDemo?: DemoResult }).gemmaDemo?.status ?? ""), undefined, { timeout: 60_000 });
        assert.equal(await page.locator("#answer").textContent(), expected, mode);
        await page.evaluate(() => { (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo!.status = "ready"; });
      }
    });

    await t.test("a bad backend or a missing folder is an error in the page, not a hang", async () => {
      const bad = await page.goto(`${server.url}/web/index.html?backend=tpu`).then(() => page.waitForFunction(() => (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo?.status === "error", undefined, { timeout: 30_000 }))
        .then(() => page.evaluate(() => (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo!));
      assert.match(bad.error ?? "", /backend=tpu: expected webgpu, cpu or auto/);
      await page.goto(`${server.url}/web/index.html?model=../no/such/model&backend=cpu&text=hi`);
      await page.waitForFunction(() => (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo?.status === "error", undefined, { timeout: 30_000 });
      const missing = await page.evaluate(() => (globalThis as { gemmaDemo?: DemoResult }).gemmaDemo!);
      assert.match(missing.error ?? "", /no\/such\/model\/config\.json.*missing/);
    });
  } finally {
    await browser?.close();
    await server.close();
  }
});
