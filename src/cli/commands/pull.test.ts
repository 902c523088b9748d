// End to end: `gemma4 pull`, `gemma4 list` and `gemma4 rm` as a user runs them, against the fake Hub.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { FakeHub } from "../../formats/hub/fake-hub-server.js";
import { main } from "../main.js";
import { COMMIT_MAIN, gemmaLikeRepo, withTempDir } from "../../formats/hub/hub-test-fixtures.js";

const MAIN_JS = fileURLToPath(new URL("../main.js", import.meta.url));
let hub: FakeHub;
before(async () => { hub = await FakeHub.start([gemmaLikeRepo()]); });
after(async () => { await hub.close(); });

interface Run { code: number; stdout: string; stderr: string }

function gemma4(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN_JS, ...args], { env: { PATH: process.env["PATH"] ?? "", HOME: env["HF_HOME"] ?? "/nonexistent", ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

describe("gemma4 pull / list / rm", () => {
  it("pulls, lists and removes a model", async () => {
    await withTempDir(async (home) => {
      const env = { HF_HOME: home, HF_ENDPOINT: hub.endpoint };
      const pulled = await gemma4(["pull", "google/gemma-test-it"], env);
      assert.equal(pulled.code, 0, pulled.stderr);
      const snapshot = join(home, "hub", "models--google--gemma-test-it", "snapshots", COMMIT_MAIN);
      assert.equal(pulled.stdout, `${snapshot}\n`);
      assert.match(pulled.stderr, /^google\/gemma-test-it@main \(aaaaaaa\): 8 files, downloaded 6\d\d KB in \d+s/);
      assert.match(await readlink(join(snapshot, "config.json")), /^\.\.\/\.\.\/blobs\/[0-9a-f]{40}$/);

      const gguf = await gemma4(["pull", "hf:google/gemma-test-it", "--include", "*.gguf", "--quiet"], env);
      assert.deepEqual([gguf.code, gguf.stdout, gguf.stderr], [0, `${snapshot}\n`, ""]);
      assert.match(await readlink(join(snapshot, "gguf", "model-Q4_0.gguf")), /^\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);

      const listed = await gemma4(["list"], env);
      assert.equal(listed.code, 0, listed.stderr);
      const lines = listed.stdout.split("\n");
      assert.match(lines[0] ?? "", /^MODEL\s+REVISION\s+SIZE\s+PATH$/);
      assert.match(lines[1] ?? "", new RegExp(`^google/gemma-test-it\\s+main aaaaaaa\\s+6\\d\\d KB\\s+${snapshot}$`));
      assert.match(listed.stdout, /\n1 model, 6\d\d KB on disk in /);

      const dry = await gemma4(["rm", "google/gemma-test-it", "--dry-run"], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^would remove google\/gemma-test-it \(main aaaaaaa\), freeing 6\d\d KB:\n {2}\/.*models--google--gemma-test-it\n$/);
      const removed = await gemma4(["rm", "google/gemma-test-it"], env);
      assert.match(removed.stdout, /^removed google\/gemma-test-it/);
      await assert.rejects(readdir(join(home, "hub", "models--google--gemma-test-it")));
    });
  });

  it("prints one-line errors and exits 2", async () => {
    // In-process (a spawn costs about a second here): main() with the environment set for this test file.
    await withTempDir(async (home) => {
      const cases: [string[], Record<string, string>, RegExp][] = [
        [["pull", "nobody/missing"], {}, /^gemma4 pull: model nobody\/missing not found .* set HF_TOKEN/],
        [["pull", "google/gemma-test-it@nope"], {}, /^gemma4 pull: revision "nope" not found in google\/gemma-test-it \(404\)/],
        [["pull", "not-a-ref"], {}, /^gemma4 pull: bad model reference "not-a-ref"/],
        [["pull", "google/gemma-test-it"], { HF_HUB_OFFLINE: "1" }, /^gemma4 pull: .* is not in the cache and HF_HUB_OFFLINE is set/],
        [["rm", "google/gemma-test-it"], {}, /^gemma4 rm: .* google\/gemma-test-it is not in the cache/],
        [["pull"], {}, /^gemma4 pull: missing MODEL/],
        [["list", "extra"], {}, /^gemma4 list: gemma4 list takes no arguments/],
      ];
      const saved = { ...process.env };
      const errorLog = console.error;
      try {
        for (const [args, extra, expected] of cases) {
          for (const k of Object.keys(process.env)) if (k.startsWith("HF_") || k.startsWith("HUGGING")) delete process.env[k];
          Object.assign(process.env, { HF_HOME: home, HF_ENDPOINT: hub.endpoint, ...extra });
          const lines: string[] = [];
          console.error = (...parts: unknown[]) => { lines.push(parts.join(" ")); };
          const code = await main(args);
          console.error = errorLog;
          assert.equal(code, 2, `${args.join(" ")}: ${lines.join("\n")}`);
          assert.equal(lines.length, 1, lines.join("\n"));
          assert.match(lines[0] ?? "", expected);
          assert.ok(!(lines[0] ?? "").includes("\n"));
        }
      } finally {
        console.error = errorLog;
        process.env = saved;
      }
    });
  });
});
