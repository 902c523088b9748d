import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BadPathError, BadRequestError } from "../../errors.js";
import { FakeHub } from "./fake-hub-server.js";
import { COMMIT_MAIN, COMMIT_V1, TEST_RETRY, gemmaLikeRepo, withTempDir } from "./hub-test-fixtures.js";
import { pullModel } from "./pull-model.js";
import { resolveModelReference } from "./resolve-model-reference.js";

const REPO = "google/gemma-test-it";
let hub: FakeHub;
before(async () => { hub = await FakeHub.start([gemmaLikeRepo()]); });
after(async () => { await hub.close(); });

describe("resolveModelReference", () => {
  it("returns an existing folder or .gguf file as is (a folder wins over a Hub name)", async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, "google", "gemma-test-it"), { recursive: true });
      await writeFile(join(dir, "m.gguf"), "GGUF");
      const opts = { cwd: dir, cacheDir: join(dir, "cache"), env: {} };
      assert.equal(await resolveModelReference("google/gemma-test-it", opts), join(dir, "google", "gemma-test-it"));
      assert.equal(await resolveModelReference("m.gguf", opts), join(dir, "m.gguf"));
      assert.equal(await resolveModelReference(join(dir, "m.gguf"), opts), join(dir, "m.gguf"));
      await assert.rejects(resolveModelReference("missing.gguf", opts), (e: unknown) => e instanceof BadPathError && /missing\.gguf: no such file/.test(e.message));
      await assert.rejects(resolveModelReference("./nowhere", opts), (e: unknown) => e instanceof BadPathError && /no such folder/.test(e.message));
      await writeFile(join(dir, "notes.txt"), "x");
      await assert.rejects(resolveModelReference("notes.txt", opts), (e: unknown) => e instanceof BadPathError && /is a file/.test(e.message));
    });
  });

  it("resolves org/name[@rev] and hf:org/name to the cached snapshot, without the network", async () => {
    await withTempDir(async (dir) => {
      const cacheDir = join(dir, "cache");
      await pullModel(REPO, { endpoint: hub.endpoint, cacheDir, env: {}, retry: TEST_RETRY, include: ["config.json"] });
      await pullModel(`${REPO}@v1`, { endpoint: hub.endpoint, cacheDir, env: {}, retry: TEST_RETRY, include: ["config.json"] });
      hub.log.length = 0;
      const opts = { cwd: dir, cacheDir, env: {}, endpoint: "http://127.0.0.1:1" };
      const snapshots = join(cacheDir, "models--google--gemma-test-it", "snapshots");
      assert.equal(await resolveModelReference(REPO, opts), join(snapshots, COMMIT_MAIN));
      assert.equal(await resolveModelReference(`hf:${REPO}`, opts), join(snapshots, COMMIT_MAIN));
      assert.equal(await resolveModelReference(`${REPO}@v1`, opts), join(snapshots, COMMIT_V1));
      assert.equal(await resolveModelReference(`${REPO}@${COMMIT_V1}`, opts), join(snapshots, COMMIT_V1));
      assert.equal(hub.log.length, 0);
    });
  });

  it("suggests gemma4 pull for a model that is not cached, and pulls it with download: true", async () => {
    await withTempDir(async (dir) => {
      const opts = { cwd: dir, cacheDir: join(dir, "cache"), env: {}, endpoint: hub.endpoint, retry: TEST_RETRY };
      await assert.rejects(resolveModelReference(`${REPO}@v1`, opts),
        (e: unknown) => e instanceof BadPathError && e.message.includes(`run \`gemma4 pull ${REPO}@v1\` first`) && e.message.includes("no such folder"));
      await assert.rejects(resolveModelReference(`hf:${REPO}`, opts),
        (e: unknown) => e instanceof BadPathError && e.message.includes(`run \`gemma4 pull ${REPO}\``) && !e.message.includes("no such folder"));
      const path = await resolveModelReference(REPO, { ...opts, download: true, include: ["config.json"] });
      assert.equal(path, join(dir, "cache", "models--google--gemma-test-it", "snapshots", COMMIT_MAIN));
      await assert.rejects(resolveModelReference(`${REPO}@v1`, { ...opts, download: true, env: { HF_HUB_OFFLINE: "1" } }),
        (e: unknown) => e instanceof BadPathError && /HF_HUB_OFFLINE/.test(e.message));
    });
  });

  it("rejects malformed references", async () => {
    await assert.rejects(resolveModelReference("", {}), BadRequestError);
    await assert.rejects(resolveModelReference("hf:justaname", { env: {} }), (e: unknown) => e instanceof BadRequestError && /org\/name/.test(e.message));
    await assert.rejects(resolveModelReference("org/name@", { env: {}, cwd: "/" }), BadRequestError);
  });
});
