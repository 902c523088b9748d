import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BadFileError } from "../errors.js";
import { ApiKeyCheck, readApiKeyFile } from "./api-key-check.js";

describe("ApiKeyCheck", () => {
  it("accepts exactly the configured Bearer keys", () => {
    const check = new ApiKeyCheck(["alpha-key", "beta"]);
    assert.ok(check.accepts("Bearer alpha-key"));
    assert.ok(check.accepts("bearer beta"));
    for (const header of [undefined, "", "Bearer", "Bearer ", "Bearer alpha", "Bearer alpha-keyX", "Basic alpha-key", "alpha-key", "Bearer alpha-key extra"]) {
      assert.ok(!check.accepts(header), String(header));
    }
  });

  it("with no keys, everything passes", () => {
    assert.ok(new ApiKeyCheck([]).accepts(undefined));
  });

  it("reads one key per line, skipping blanks and comments; an empty file is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "gemma4-keys-"));
    try {
      writeFileSync(join(dir, "keys"), "# team keys\nk1\n\n  k2  \r\n");
      assert.deepEqual(readApiKeyFile(join(dir, "keys")), ["k1", "k2"]);
      writeFileSync(join(dir, "empty"), "# nothing\n");
      assert.throws(() => readApiKeyFile(join(dir, "empty")), BadFileError);
      assert.throws(() => readApiKeyFile(join(dir, "missing")), BadFileError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
