import assert from "node:assert/strict";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BadPathError } from "../../errors.js";
import { FakeHub, sha256Hex } from "./fake-hub-server.js";
import { removeCachedModel } from "./hub-cache-remove.js";
import { scanHubCache } from "./hub-cache-scan.js";
import { COMMIT_MAIN, COMMIT_V1, TEST_RETRY, gemmaLikeRepo, withTempDir } from "./hub-test-fixtures.js";
import { pullModel } from "./pull-model.js";

const REPO = "google/gemma-test-it";
let hub: FakeHub;
before(async () => { hub = await FakeHub.start([gemmaLikeRepo(), gemmaLikeRepo("other/model")]); });
after(async () => { await hub.close(); });

async function pullBoth(cache: string): Promise<void> {
  const options = { endpoint: hub.endpoint, cacheDir: cache, env: {}, retry: TEST_RETRY };
  await pullModel(REPO, options);
  await pullModel(`${REPO}@v1`, options);
  await pullModel("other/model", { ...options, include: ["config.json"] });
}

const sizeOf = (rev: "main" | "v1", predicate: (path: string) => boolean = () => true): number => {
  const files = hub.repos[0]?.revisions[rev]?.files.filter((f) => predicate(f.path) && !["README.md", ".gitattributes", "gguf/model-Q4_0.gguf"].includes(f.path)) ?? [];
  const distinct = new Map(files.map((f) => [sha256Hex(f.content), f.content.byteLength]));
  return [...distinct.values()].reduce((a, b) => a + b, 0);
};

describe("scanHubCache", () => {
  it("lists each cached model with its revisions, refs, sizes and folders", async () => {
    await withTempDir(async (cache) => {
      await pullBoth(cache);
      await writeFile(join(cache, "models--google--gemma-test-it", "blobs", `${"f".repeat(64)}.incomplete`), new Uint8Array(1234));
      await mkdir(join(cache, "datasets--x--y"), { recursive: true }); // not a model: ignored
      const models = await scanHubCache(cache);
      assert.deepEqual(models.map((m) => m.repoId), ["google/gemma-test-it", "other/model"]);
      const [gemma] = models;
      assert.ok(gemma !== undefined);
      assert.deepEqual(gemma.revisions.map((r) => [r.commit, r.refs]), [[COMMIT_MAIN, ["main"]], [COMMIT_V1, ["v1"]]]);
      assert.equal(gemma.revisions[0]?.sizeBytes, sizeOf("main"));
      assert.equal(gemma.revisions[1]?.sizeBytes, sizeOf("v1"));
      assert.equal(gemma.revisions[0]?.files.length, 8);
      assert.equal(gemma.incompleteBytes, 1234);
      // Shared blobs count once on disk.
      const shared = sizeOf("main") + sizeOf("v1", (p) => p === "config.json" || p === "model-00002-of-00002.safetensors");
      assert.equal(gemma.sizeOnDiskBytes, shared + 1234);
    });
  });

  it("copes with a ref to a snapshot that was never made, and with an empty or missing cache", async () => {
    await withTempDir(async (cache) => {
      assert.deepEqual(await scanHubCache(join(cache, "nothing-here")), []);
      await mkdir(join(cache, "models--a--b", "refs"), { recursive: true });
      await writeFile(join(cache, "models--a--b", "refs", "main"), COMMIT_MAIN);
      const [model] = await scanHubCache(cache);
      assert.deepEqual(model?.revisions, []);
      assert.deepEqual(model?.danglingRefs, ["main"]);
    });
  });
});

describe("removeCachedModel", () => {
  it("removes one revision, its refs and the blobs no other revision uses", async () => {
    await withTempDir(async (cache) => {
      await pullBoth(cache);
      const repoDir = join(cache, "models--google--gemma-test-it");
      const before = await readdir(join(repoDir, "blobs"));
      const dry = await removeCachedModel(`${REPO}@v1`, { cacheDir: cache, env: {}, dryRun: true });
      assert.deepEqual(await readdir(join(repoDir, "blobs")), before, "a dry run removes nothing");
      const report = await removeCachedModel(`${REPO}@v1`, { cacheDir: cache, env: {} });
      assert.deepEqual(report.removedPaths, dry.removedPaths);
      assert.equal(report.wholeModel, false);
      assert.deepEqual(report.revisions, [{ commit: COMMIT_V1, refs: ["v1"] }]);
      // v1's own config.json and second shard go; everything shared with main stays.
      assert.equal(report.removedPaths.filter((p) => p.includes("/blobs/")).length, 2);
      assert.equal(report.freedBytes, sizeOf("v1", (p) => p === "config.json" || p === "model-00002-of-00002.safetensors"));
      assert.deepEqual(await readdir(join(repoDir, "snapshots")), [COMMIT_MAIN]);
      assert.deepEqual(await readdir(join(repoDir, "refs")), ["main"]);
      const [gemma] = await scanHubCache(cache);
      assert.ok(gemma?.revisions[0]?.files.every((f) => f.sizeBytes !== undefined), "no dangling links left in main");
    });
  });

  it("removes a whole model, by name or by removing its last revision (by commit prefix)", async () => {
    await withTempDir(async (cache) => {
      await pullBoth(cache);
      const whole = await removeCachedModel(REPO, { cacheDir: cache, env: {} });
      assert.equal(whole.wholeModel, true);
      assert.equal(whole.revisions.length, 2);
      assert.deepEqual(whole.removedPaths, [join(cache, "models--google--gemma-test-it")]);
      const last = await removeCachedModel(`other/model@${COMMIT_MAIN.slice(0, 7)}`, { cacheDir: cache, env: {} });
      assert.equal(last.wholeModel, true);
      assert.deepEqual((await readdir(cache)).filter((n) => n.startsWith("models--")), []);
    });
  });

  it("says what is not cached", async () => {
    await withTempDir(async (cache) => {
      await assert.rejects(removeCachedModel("a/b", { cacheDir: cache, env: {} }), (e: unknown) => e instanceof BadPathError && /a\/b is not in the cache/.test(e.message));
      await pullBoth(cache);
      await assert.rejects(removeCachedModel(`${REPO}@v9`, { cacheDir: cache, env: {} }),
        (e: unknown) => e instanceof BadPathError && /revision "v9" .* not in the cache \(cached: main\/aaaaaaa, v1\/bbbbbbb\)/.test(e.message));
    });
  });
});
