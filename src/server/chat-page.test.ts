import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startTestServer } from "../testing/test-server.js";

const CHROMIUM = "/usr/bin/chromium";
/** As in shared/docs/gpu.md: headless, no sandbox (root), and no background traffic to the closed network. */
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe("web chat page (headless Chromium)", () => {
  it("types a message, streams the answer, and stops it", async (t) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env["GEMMA4_REQUIRE_BROWSER"] === "1") assert.fail(`${CHROMIUM} is missing and GEMMA4_REQUIRE_BROWSER=1 (apt-get install chromium)`);
      t.skip(`SKIPPED: ${CHROMIUM} not installed (apt-get install chromium); set GEMMA4_REQUIRE_BROWSER=1 to make this a failure`);
      return;
    }
    const { chromium } = await import("playwright-core");
    const server = await startTestServer({ apiKeys: ["page-key"] }, { size: "tiny" });
    // launchPersistentContext gives Chromium a fresh, empty profile folder of our own.
    const profile = mkdtempSync(join(tmpdir(), "gemma4-chromium-"));
    let browser: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | null = null;
    try {
      browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      const page = await browser.newPage();
      const failures: string[] = [];
      page.on("pageerror", (e) => failures.push(e.message));
      page.on("console", (m) => { if (m.type() === "error" && !/status of 401/.test(m.text())) failures.push(`console: ${m.text()}`); });
      page.on("requestfailed", (r) => { if (!r.url().startsWith(server.url)) failures.push(`request outside the server: ${r.url()}`); });
      await page.goto(server.url);
      await page.getByTestId("api-key").fill("page-key");
      await page.getByTestId("api-key").dispatchEvent("change");
      await page.getByTestId("model").filter({ hasText: /^test-model$/ }).waitFor({ timeout: 10_000 });

      // A first, short exchange runs to its end. Greedy, so that the random-weight model's answers are the same each
      // run: sampled, about 1 answer in 8 opens a tool call it never closes (the server holds such text back until the
      // end) and some open a thinking channel first.
      await page.locator("details.settings summary").click();
      await page.locator("#temperature").fill("0");
      await page.getByTestId("system").fill("Answer briefly.");
      await page.locator("#max-tokens").fill("3");
      await page.getByTestId("input").fill("Hello, sea?");
      await page.getByTestId("send").click();
      await page.getByTestId("user-message").first().getByText("Hello, sea?").waitFor();
      const first = page.getByTestId("assistant-message").first();
      await first.getByTestId("meta").getByText(/length|stop/).waitFor({ timeout: 30_000 });
      assert.ok((await first.getByTestId("content").textContent())!.length > 0);

      // A long answer: watch it grow token by token, then press Stop. Watch everything the message shows
      // (thinking, tool calls, content). Greedy, the answer is the same each time (473 tokens here); only the click
      // can race its end on a slow machine, so if it ended first, start a new chat (the ended answer would crowd
      // the context) and try again, at most 4 times.
      await page.locator("#max-tokens").fill("800");
      let stoppedByUs = false;
      const seen: string[] = [];
      for (let attempt = 0; attempt < 4 && !stoppedByUs; attempt++) {
        if (attempt > 0) await page.locator("#clear").click();
        const earlier = await page.getByTestId("assistant-message").count();
        await page.getByTestId("input").fill("Tell me a long story.");
        await page.getByTestId("input").press("Enter");
        const answer = page.getByTestId("assistant-message").nth(earlier);
        const shown = async () => {
          const parts = await Promise.all(["reasoning", "tool-calls", "content"].map((id) => answer.getByTestId(id).textContent()));
          return parts.reduce((n, text) => n + (text?.length ?? 0), 0);
        };
        const meta = answer.getByTestId("meta");
        const lengths = new Set<number>();
        let ended = "";
        const deadline = Date.now() + 30_000;
        while (lengths.size < 3 && Date.now() < deadline) {
          const n = await shown();
          if (n > 0) lengths.add(n);
          ended = (await meta.textContent()) ?? "";
          if (ended !== "") break;
          await page.waitForTimeout(30);
        }
        seen.push(`attempt ${attempt + 1}: lengths ${[...lengths].join(", ") || "none"}${ended ? `, ended "${ended}"` : ""}`);
        assert.equal(await meta.locator(".error").count(), 0, `the answer failed: ${ended}`);
        if (ended !== "") continue; // it finished by itself before growing three times: ask again
        assert.ok(lengths.size >= 3, `the answer grew in steps (${seen.join("; ")})`);
        try {
          await page.getByTestId("stop").click({ timeout: 10_000 });
        } catch {
          await meta.getByText(/length|stop/).waitFor({ timeout: 10_000 });
          continue; // it finished by itself first
        }
        await meta.getByText("stopped").waitFor({ timeout: 10_000 });
        stoppedByUs = true;
      }
      assert.ok(stoppedByUs, `Stop interrupted a streaming answer (${seen.join("; ")})`);
      assert.ok(await page.getByTestId("send").isEnabled());
      assert.ok(!(await page.getByTestId("stop").isEnabled()));
      // Stopping in the page cancels the generation on the server.
      const end = Date.now() + 5000;
      while (server.model.kvCacheStats.sessions > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      assert.equal(server.model.kvCacheStats.sessions, 0);
      assert.deepEqual(failures, []);
    } finally {
      await browser?.close();
      rmSync(profile, { recursive: true, force: true });
      await server.close();
    }
  });
});
