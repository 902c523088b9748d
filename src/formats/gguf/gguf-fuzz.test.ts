import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { fuzzBaseGguf, openAndReadAllGguf } from "../../testing/gguf-fuzz-base.js";
import { fuzzReader } from "../../testing/reader-fuzz.js";

// Memory-backed where available: thousands of tiny writes are I/O bound on a real disk.
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "gguf-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));

it("GGUF reader: 3000 seeded mutations give only typed one-line errors (no crash, no over-read); 100,000: bench/fuzz-readers.mjs", () => {
  const base = fuzzBaseGguf(join(dir, "base.gguf"));
  const result = fuzzReader({ seed: 1, iterations: 3000, base, path: join(dir, "mutant.gguf"), openAndReadAll: openAndReadAllGguf });
  assert.ok(result.rejected > 1000, `most mutants should be rejected (${JSON.stringify(result)})`);
  assert.ok(result.opened > 10, `some mutants (data bytes) should still open (${JSON.stringify(result)})`);
});

it("GGUF reader: 100,000 seeded mutations (GEMMA4_SLOW=1)", (t) => {
  if (process.env["GEMMA4_SLOW"] !== "1") {
    t.skip("SKIPPED: the 100,000-mutation GGUF fuzz runs with GEMMA4_SLOW=1 (or node bench/fuzz-readers.mjs)");
    return;
  }
  const base = fuzzBaseGguf(join(dir, "base-slow.gguf"));
  const result = fuzzReader({ seed: 2, iterations: 100_000, base, path: join(dir, "mutant-slow.gguf"), openAndReadAll: openAndReadAllGguf });
  assert.equal(result.opened + result.rejected, 100_000);
});
