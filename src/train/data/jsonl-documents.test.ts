import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { BadFileError, BadPathError } from "../../errors.js";
import { readJsonlDocuments, writeJsonlDocuments } from "./jsonl-documents.js";

const dir = mkdtempSync(join(tmpdir(), "jsonl-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string): Promise<string[]> {
  const texts: string[] = [];
  for await (const d of readJsonlDocuments(path)) texts.push(d.text);
  return texts;
}

describe("JSONL documents", () => {
  const records = [{ id: "a", text: "one\ntwo" }, { id: "b", text: "é 😀" }];

  for (const name of ["docs.jsonl", "docs.jsonl.gz"]) {
    it(`round-trips ${name} and returns the SHA-256 of the uncompressed content`, async () => {
      const path = join(dir, name);
      const sha = writeJsonlDocuments(path, records);
      assert.deepEqual(await readAll(path), ["one\ntwo", "é 😀"]);
      const raw = readFileSync(path);
      const content = name.endsWith(".gz") ? gunzipSync(raw) : raw;
      assert.equal(createHash("sha256").update(content).digest("hex"), sha);
    });
  }

  it("names the file and line of a bad record", async () => {
    const path = join(dir, "bad.jsonl");
    writeFileSync(path, '{"text":"ok"}\n\n{"id":1}\n');
    await assert.rejects(readAll(path), (e: unknown) => e instanceof BadFileError && /line 3 has no string "text"/.test(e.message));
    writeFileSync(path, "{oops\n");
    await assert.rejects(readAll(path), (e: unknown) => e instanceof BadFileError && /line 1 is not JSON/.test(e.message));
    await assert.rejects(readAll(join(dir, "missing.jsonl")), BadPathError);
  });
});
