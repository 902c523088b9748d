import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PACKAGE_ROOT } from "../../testing/fixtures.js";
import { GEMMA3_TOKENIZER_DIR, GEMMA4_MINI_DIR, TOKENIZER_FIXTURES, gemma3EncodingRows } from "../../testing/tokenizer-fixtures.js";

const CLI = join(PACKAGE_ROOT, "dist", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "gemma4-tokenize-"));
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

describe("gemma4 tokenize", () => {
  it("encodes every Gemma 3 fixture text from a --file exactly as the Rust library does", () => {
    const rows = gemma3EncodingRows();
    const r = gemma4("tokenize", GEMMA3_TOKENIZER_DIR, "--file", join(TOKENIZER_FIXTURES, "gemma3-encodings.jsonl"), "--format", "jsonl");
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { text: string; ids: number[]; pieces: string[] });
    assert.equal(lines.length, rows.length);
    lines.forEach((line, i) => {
      assert.deepEqual([line.text, line.ids, line.pieces], [rows[i]!.text, rows[i]!.ids, rows[i]!.tokens]);
    });
  });

  it("prints ids and pieces as a table, json or jsonl, on a folder holding only tokenizer.json", () => {
    const bare = join(tmp, "bare");
    mkdirSync(bare);
    copyFileSync(join(GEMMA4_MINI_DIR, "tokenizer.json"), join(bare, "tokenizer.json"));
    const table = gemma4("tokenize", bare, "the cat");
    assert.equal(table.status, 0, table.stderr);
    const [header, ...rows] = table.stdout.trimEnd().split("\n");
    assert.equal(header, `${rows.length} tokens`);
    assert.ok(rows.every((row) => /^\s*\d+ {2}".*"$/.test(row)), table.stdout);
    const json = JSON.parse(gemma4("tokenize", "--model", bare, "the cat", "--format", "json").stdout) as { ids: number[]; pieces: string[] };
    assert.equal(json.pieces.join("").replaceAll("▁", " "), "the cat");
    assert.equal(json.ids.length, rows.length);
    // Gemma 4's tokenizer adds no bos even with --special.
    const special = JSON.parse(gemma4("tokenize", GEMMA4_MINI_DIR, "hi", "--special", "--format", "json").stdout) as { ids: number[] };
    assert.equal(special.ids.includes(2), false);
  });

  it("detokenizes ids, leaving special tokens out unless --special", () => {
    const ids = (JSON.parse(gemma4("tokenize", GEMMA4_MINI_DIR, "<bos><|turn>user\nhi", "--format", "json").stdout) as { ids: number[] }).ids;
    assert.equal(ids[0], 2);
    assert.equal(gemma4("tokenize", GEMMA4_MINI_DIR, ids.join(","), "--detokenize").stdout, "user\nhi\n");
    assert.equal(gemma4("tokenize", GEMMA4_MINI_DIR, `[${ids.join(", ")}]`, "--detokenize", "--special").stdout, "<bos><|turn>user\nhi\n");
    const file = join(tmp, "ids.jsonl");
    writeFileSync(file, `${JSON.stringify(ids)}\n\n${JSON.stringify({ ids: [105] })}\n`);
    const lines = gemma4("tokenize", GEMMA4_MINI_DIR, "--file", file, "--detokenize", "--special", "--format", "jsonl").stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(lines, [{ ids, text: "<bos><|turn>user\nhi" }, { ids: [105], text: "<|turn>" }]);
  });

  it("TEXT alone uses the bundled default model; a GGUF file's tokenizer is the folder's", () => {
    const alone = gemma4("tokenize", "Hello world", "--format", "json");
    const explicit = gemma4("tokenize", join(PACKAGE_ROOT, "models", "default"), "Hello world", "--format", "json");
    assert.equal(alone.status, 0, alone.stderr);
    assert.equal(alone.stdout, explicit.stdout);
    const gguf = join(tmp, "default.gguf");
    const converted = gemma4("convert", join(PACKAGE_ROOT, "models", "default"), "--to", "gguf", "--out", gguf);
    assert.equal(converted.status, 0, converted.stderr);
    assert.equal(gemma4("tokenize", gguf, "Hello world", "--format", "json").stdout, explicit.stdout);
  });

  it("gives one-line errors and exit 2 for bad folders, files and arguments", () => {
    userError(gemma4("tokenize", join(tmp, "missing"), "x"), /missing: no such folder/);
    userError(gemma4("tokenize", tmp, "x"), /tokenizer\.json/);
    userError(gemma4("tokenize"), /TEXT or --file/);
    userError(gemma4("tokenize", GEMMA4_MINI_DIR), /is a model, but no TEXT was given/);
    userError(gemma4("tokenize", GEMMA4_MINI_DIR, "x", "--file", "f.jsonl"), /TEXT or --file/);
    userError(gemma4("tokenize", GEMMA4_MINI_DIR, "x", "--format", "xml"), /--format/);
    userError(gemma4("tokenize", GEMMA4_MINI_DIR, "1,x", "--detokenize"), /not a token id/);
    userError(gemma4("tokenize", GEMMA4_MINI_DIR, "99999999", "--detokenize"), /outside the vocabulary/);
    const bad = join(tmp, "bad.jsonl");
    writeFileSync(bad, '"ok"\n{not json\n');
    userError(gemma4("tokenize", GEMMA4_MINI_DIR, "--file", bad), /bad\.jsonl: line 2/);
    writeFileSync(bad, "42\n");
    userError(gemma4("tokenize", GEMMA4_MINI_DIR, "--file", bad), /line 1 must be/);
    userError(gemma4("tokenize", GEMMA4_MINI_DIR, "--file", join(tmp, "nope.jsonl")), /nope\.jsonl: does not exist/);
    const broken = join(tmp, "broken");
    mkdirSync(broken);
    writeFileSync(join(broken, "tokenizer.json"), "{oops");
    userError(gemma4("tokenize", broken, "x"), /tokenizer\.json: is not valid JSON/);
  });
});
