import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PACKAGE_ROOT } from "../../testing/fixtures.js";
import { GEMMA4_MINI_DIR, chatRows, gemma3TemplateSource } from "../../testing/tokenizer-fixtures.js";

const CLI = join(PACKAGE_ROOT, "dist", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "gemma4-prompt-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function gemma4(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function userError(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

function write(name: string, value: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

describe("gemma4 prompt", () => {
  const bare = join(tmp, "bare");
  mkdirSync(bare);
  copyFileSync(join(GEMMA4_MINI_DIR, "tokenizer.json"), join(bare, "tokenizer.json"));

  it("prints exactly what the E2B/E4B template renders for every fixture row, from the template and built in", () => {
    const rows = chatRows("gemma4-chat.jsonl").filter((r) => r.template === "gemma4-e-it.jinja");
    rows.forEach((row, i) => {
      const messages = write(`messages-${i}.json`, row.messages);
      const args = ["--messages", messages, ...(row.tools ? ["--tools", write(`tools-${i}.json`, row.tools)] : []), ...(row.enable_thinking ? ["--think"] : [])];
      // Every row through the folder's template; the built-in format (tested in-process on every row) on a few.
      const folders = i % 3 === 0 ? [[GEMMA4_MINI_DIR], [GEMMA4_MINI_DIR, "--builtin"], [bare]] : [[GEMMA4_MINI_DIR]];
      for (const folder of folders) {
        const r = gemma4("prompt", ...folder, ...args);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, row.rendered, `row ${i} ${folder.join(" ")}`);
      }
    });
  });

  it("takes {messages, tools} in one file, --no-generation-prompt, and --format json with the prompt ids", () => {
    const both = write("both.json", { messages: [{ role: "user", content: "Hi" }], tools: [{ type: "function", function: { name: "f", description: "d" } }] });
    const r = gemma4("prompt", GEMMA4_MINI_DIR, "--messages", both, "--no-generation-prompt");
    assert.equal(r.stdout, "<bos><|turn>system\n<|tool>declaration:f{description:<|\"|>d<|\"|>}<tool|><turn|>\n<|turn>user\nHi<turn|>\n");
    const json = JSON.parse(gemma4("prompt", "--model", GEMMA4_MINI_DIR, "--messages", both, "--format", "json").stdout) as { format: string; prompt: string; ids: number[]; numTokens: number };
    assert.equal(json.format, "template");
    assert.equal(json.ids.length, json.numTokens);
    assert.deepEqual([json.ids[0], json.ids.filter((id) => id === 2).length], [2, 1]);
  });

  it("reports the template's own refusal (Gemma 3: roles must alternate) as a one-line error", () => {
    const g3 = join(tmp, "g3");
    mkdirSync(g3);
    copyFileSync(join(GEMMA4_MINI_DIR, "tokenizer.json"), join(g3, "tokenizer.json"));
    writeFileSync(join(g3, "tokenizer_config.json"), JSON.stringify({ bos_token: "<bos>", chat_template: gemma3TemplateSource().text }));
    const ok = gemma4("prompt", g3, "--messages", write("g3.json", [{ role: "system", content: "S" }, { role: "user", content: "Q" }]));
    assert.equal(ok.stdout, "<bos><start_of_turn>user\nS\n\nQ<end_of_turn>\n<start_of_turn>model\n");
    userError(gemma4("prompt", g3, "--messages", write("twice.json", [{ role: "user", content: "a" }, { role: "user", content: "b" }])), /roles must alternate/);
  });

  it("gives one-line errors and exit 2 for bad arguments and files", () => {
    userError(gemma4("prompt", GEMMA4_MINI_DIR), /--messages/);
    userError(gemma4("prompt", GEMMA4_MINI_DIR, "--messages", join(tmp, "none.json")), /none\.json: does not exist/);
    userError(gemma4("prompt", GEMMA4_MINI_DIR, "--messages", write("bad.json", "[{")), /bad\.json: is not valid JSON/);
    userError(gemma4("prompt", GEMMA4_MINI_DIR, "--messages", write("obj.json", { role: "user" })), /obj\.json: messages must be a list/);
    userError(gemma4("prompt", GEMMA4_MINI_DIR, "--messages", write("norole.json", [{ content: "x" }])), /messages\[0\]\.role/);
    userError(gemma4("prompt", GEMMA4_MINI_DIR, "--messages", write("ok.json", [{ role: "user", content: "x" }]), "--tools", write("tools.json", [{ type: "function" }])), /tools\.json: tools\[0\]/);
    userError(gemma4("prompt", GEMMA4_MINI_DIR, "--messages", write("ok2.json", [{ role: "user", content: "x" }]), "--format", "yaml"), /--format/);
    userError(gemma4("prompt", tmp, "--messages", join(tmp, "ok.json")), /tokenizer\.json/);
    assert.ok(readFileSync(join(tmp, "ok.json"), "utf8").length > 0);
  });
});
