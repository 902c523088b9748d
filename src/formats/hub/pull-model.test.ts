import assert from "node:assert/strict";
import { lstat, readFile, readdir, readlink, writeFile, mkdir } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BadFileError, BadPathError, BadRequestError } from "../../errors.js";
import { FakeHub, gitBlobSha1, sha256Hex } from "./fake-hub-server.js";
import { COMMIT_MAIN, COMMIT_V1, TEST_RETRY, gemmaLikeRepo, withTempDir } from "./hub-test-fixtures.js";
import { HubRequestError } from "./hub-request-error.js";
import { pullModel, type PullOptions, type PullProgress } from "./pull-model.js";

const REPO = "google/gemma-test-it";
let hub: FakeHub;
const fileOf = (path: string, rev: "main" | "v1" = "main"): Uint8Array => {
  const f = hub.repos[0]?.revisions[rev]?.files.find((x) => x.path === path);
  assert.ok(f, path);
  return f.content;
};

before(async () => { hub = await FakeHub.start([gemmaLikeRepo(), gemmaLikeRepo("google/gated-it", { gatedToken: "hf_good" })]); });
after(async () => { await hub.close(); });

async function assertSameBytes(path: string, expected: Uint8Array): Promise<void> {
  const actual = await readFile(path);
  assert.ok(Buffer.from(expected).equals(actual), `${path}: ${actual.byteLength} bytes differ from the expected ${expected.byteLength}`);
}

/** An address where nothing listens. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

function opts(cacheDir: string, extra: Partial<PullOptions> = {}): PullOptions {
  return { endpoint: hub.endpoint, cacheDir, env: {}, retry: TEST_RETRY, ...extra };
}

const DEFAULT_FILES = ["chat_template.jinja", "config.json", "generation_config.json", "model-00001-of-00002.safetensors",
  "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json"];

describe("pullModel", () => {
  it("lays files out as huggingface_hub does: blobs by etag, relative symlinks, refs/main", async () => {
    await withTempDir(async (cache) => {
      hub.log.length = 0;
      const progress: PullProgress[] = [];
      const result = await pullModel(REPO, opts(cache, { token: "hf_any", onProgress: (p) => progress.push(p) }));
      const repoDir = join(cache, "models--google--gemma-test-it");
      assert.equal(result.commit, COMMIT_MAIN);
      assert.equal(result.snapshotDir, join(repoDir, "snapshots", COMMIT_MAIN));
      assert.equal(await readFile(join(repoDir, "refs", "main"), "utf8"), COMMIT_MAIN); // bare hash, no newline
      assert.deepEqual((await readdir(result.snapshotDir)).sort(), DEFAULT_FILES);
      for (const path of DEFAULT_FILES) {
        const content = fileOf(path);
        const lfs = path.endsWith(".safetensors") || path === "tokenizer.json";
        const etag = lfs ? sha256Hex(content) : gitBlobSha1(content);
        const pointer = join(result.snapshotDir, path);
        assert.ok((await lstat(pointer)).isSymbolicLink(), `${path} is a symlink`);
        assert.equal(await readlink(pointer), `../../blobs/${etag}`);
        await assertSameBytes(pointer, content);
      }
      const blobs = await readdir(join(repoDir, "blobs"));
      // generation_config.json and tokenizer_config.json hold the same bytes: one blob serves both.
      assert.equal(blobs.length, DEFAULT_FILES.length - 1);
      assert.ok(!blobs.some((b) => b.endsWith(".incomplete")));
      // The token goes to the Hub, never to the CDN.
      assert.ok(hub.requests("hub").every((r) => r.authorization === "Bearer hf_any"));
      assert.ok(hub.requests("cdn").length === 3 && hub.requests("cdn").every((r) => r.authorization === undefined));
      const last = progress.at(-1);
      assert.ok(last !== undefined && last.doneFiles === last.totalFiles && last.doneBytes === last.totalBytes && last.totalBytes > 600_000);
      assert.equal(result.downloadedBytes, last.totalBytes - 2, "the shared 2-byte blob came down once");
    });
  });

  it("links files in subfolders one level further up, and re-pulling is one API call", async () => {
    await withTempDir(async (cache) => {
      await pullModel(REPO, opts(cache, { include: ["*.gguf"] }));
      const pointer = join(cache, "models--google--gemma-test-it", "snapshots", COMMIT_MAIN, "gguf", "model-Q4_0.gguf");
      assert.equal(await readlink(pointer), `../../../blobs/${sha256Hex(fileOf("gguf/model-Q4_0.gguf"))}`);
      hub.log.length = 0;
      const again = await pullModel(REPO, opts(cache, { include: ["*.gguf"] }));
      assert.equal(again.downloadedBytes, 0);
      assert.deepEqual(hub.log.map((r) => `${r.server} ${r.method}`), ["hub GET"]);
    });
  });

  it("reuses blobs another revision already has", async () => {
    await withTempDir(async (cache) => {
      await pullModel(REPO, opts(cache));
      hub.log.length = 0;
      const v1 = await pullModel(`${REPO}@v1`, opts(cache));
      assert.equal(v1.commit, COMMIT_V1);
      assert.equal(await readFile(join(cache, "models--google--gemma-test-it", "refs", "v1"), "utf8"), COMMIT_V1);
      assert.equal(hub.requests("cdn").length, 1, "only the changed shard comes from the CDN");
      assert.ok(v1.downloadedBytes < 2000);
    });
  });

  it("resumes a connection cut mid-file with a Range request, in the same pull", async () => {
    await withTempDir(async (cache) => {
      const sha = sha256Hex(fileOf("model-00001-of-00002.safetensors"));
      hub.faults.cut.set(sha, { bytes: 100_000, times: 2 });
      hub.log.length = 0;
      const result = await pullModel(REPO, opts(cache, { include: ["model-00001-of-00002.safetensors"] }));
      const ranges = hub.requests("cdn").map((r) => r.range);
      assert.equal(ranges[0], undefined);
      assert.equal(ranges[1], "bytes=100000-");
      assert.equal(ranges[2], "bytes=200000-");
      await assertSameBytes(join(result.snapshotDir, "model-00001-of-00002.safetensors"), fileOf("model-00001-of-00002.safetensors"));
    });
  });

  it("leaves an interrupted download as .incomplete (nothing under the final name) and the next pull resumes it", async () => {
    await withTempDir(async (cache) => {
      const path = "model-00002-of-00002.safetensors";
      const content = fileOf(path);
      const sha = sha256Hex(content);
      hub.faults.cut.set(sha, { bytes: 123_456, times: 1 });
      const failing = pullModel(REPO, opts(cache, { include: [path], retry: { ...TEST_RETRY, retries: 0 } }));
      await assert.rejects(failing, (e: unknown) => e instanceof HubRequestError && /123456 bytes .* resumes/.test(e.message));
      const repoDir = join(cache, "models--google--gemma-test-it");
      assert.deepEqual(await readdir(join(repoDir, "blobs")), [`${sha}.incomplete`]);
      assert.equal((await lstat(join(repoDir, "blobs", `${sha}.incomplete`))).size, 123_456);
      assert.deepEqual(await readdir(join(repoDir, "snapshots")), []);
      await assert.rejects(lstat(join(repoDir, "refs", "main")), "no ref until the pull completes");

      hub.log.length = 0;
      const result = await pullModel(REPO, opts(cache, { include: [path] }));
      assert.deepEqual(hub.requests("cdn").map((r) => r.range), ["bytes=123456-"]);
      assert.equal(result.downloadedBytes, content.byteLength - 123_456);
      await assertSameBytes(join(result.snapshotDir, path), content);
    });
  });

  it("starts over when the server ignores the Range and sends the whole file", async () => {
    await withTempDir(async (cache) => {
      const sha = sha256Hex(fileOf("model-00001-of-00002.safetensors"));
      hub.faults.cut.set(sha, { bytes: 100_000, times: 1 });
      hub.faults.ignoreRange.add(sha);
      try {
        hub.log.length = 0;
        const result = await pullModel(REPO, opts(cache, { include: ["model-00001-of-00002.safetensors"] }));
        assert.deepEqual(hub.requests("cdn").map((r) => r.range), [undefined, "bytes=100000-"]);
        await assertSameBytes(join(result.snapshotDir, "model-00001-of-00002.safetensors"), fileOf("model-00001-of-00002.safetensors"));
      } finally {
        hub.faults.ignoreRange.delete(sha);
      }
    });
  });

  it("never publishes a blob built on a corrupt partial file: the check rejects it, the rerun succeeds", async () => {
    await withTempDir(async (cache) => {
      const content = fileOf("tokenizer.json");
      const blobs = join(cache, "models--google--gemma-test-it", "blobs");
      await mkdir(blobs, { recursive: true });
      await writeFile(join(blobs, `${sha256Hex(content)}.incomplete`), new Uint8Array(20_000).fill(7)); // not the file's first bytes
      await assert.rejects(pullModel(REPO, opts(cache, { include: ["tokenizer.json"] })), (e: unknown) => e instanceof BadFileError && /sha256 mismatch/.test(e.message));
      assert.deepEqual(await readdir(blobs), []);
      const r = await pullModel(REPO, opts(cache, { include: ["tokenizer.json"] }));
      await assertSameBytes(join(r.snapshotDir, "tokenizer.json"), content);
    });
  });

  it("retries a stalled body after the idle timeout", async () => {
    await withTempDir(async (cache) => {
      const sha = sha256Hex(fileOf("tokenizer.json"));
      hub.faults.stall.set(sha, { bytes: 10_000, times: 1 });
      hub.log.length = 0;
      const result = await pullModel(REPO, opts(cache, { include: ["tokenizer.json"], retry: { ...TEST_RETRY, idleTimeoutMs: 1500 } }));
      assert.deepEqual(hub.requests("cdn").map((r) => r.range), [undefined, "bytes=10000-"]);
      await assertSameBytes(join(result.snapshotDir, "tokenizer.json"), fileOf("tokenizer.json"));
    });
  });

  it("rejects a file whose sha256 differs from the Hub's and deletes it", async () => {
    await withTempDir(async (cache) => {
      const sha = sha256Hex(fileOf("tokenizer.json"));
      hub.faults.corrupt.add(sha);
      try {
        await assert.rejects(pullModel(REPO, opts(cache, { include: ["tokenizer.json"] })),
          (e: unknown) => e instanceof BadFileError && e.message.includes(`sha256 mismatch: the Hub says ${sha}`) && e.message.includes("tokenizer.json"));
      } finally {
        hub.faults.corrupt.delete(sha);
      }
      const repoDir = join(cache, "models--google--gemma-test-it");
      assert.deepEqual(await readdir(join(repoDir, "blobs")), []);
      assert.deepEqual(await readdir(join(repoDir, "snapshots")), [], "no empty snapshot left behind");
    });
  });

  it("downloads one file once when two pulls race (the second waits for the first)", async () => {
    await withTempDir(async (cache) => {
      hub.log.length = 0;
      const [a, b] = await Promise.all([pullModel(REPO, opts(cache)), pullModel(REPO, opts(cache))]);
      assert.equal(a.snapshotDir, b.snapshotDir);
      assert.equal(hub.requests("cdn").length, 3);
    });
  });

  it("explains 401 and 403: unknown or gated repos, missing or wrong tokens", async () => {
    await withTempDir(async (cache) => {
      await assert.rejects(pullModel("nobody/missing", opts(cache)),
        (e: unknown) => e instanceof HubRequestError && e.status === 401 && /not found .*HF_TOKEN/.test(e.message));
      await assert.rejects(pullModel("google/gated-it", opts(cache)),
        (e: unknown) => e instanceof HubRequestError && e.status === 401 && /gated .*accept the licence at .*google\/gated-it.*HF_TOKEN/.test(e.message));
      await assert.rejects(pullModel("google/gated-it", opts(cache, { token: "hf_wrong" })),
        (e: unknown) => e instanceof HubRequestError && e.status === 403 && /no access .*accept the licence/.test(e.message));
      const ok = await pullModel("google/gated-it", opts(cache, { token: "hf_good", include: ["config.json"] }));
      assert.deepEqual(ok.files.map((f) => f.path), ["config.json"]);
    });
  });

  it("explains 404s: unknown repo (with a token), unknown revision", async () => {
    await withTempDir(async (cache) => {
      await assert.rejects(pullModel("nobody/missing", opts(cache, { token: "hf_x" })),
        (e: unknown) => e instanceof HubRequestError && e.status === 404 && /model nobody\/missing not found/.test(e.message));
      await assert.rejects(pullModel(`${REPO}@no-such-branch`, opts(cache)),
        (e: unknown) => e instanceof HubRequestError && e.status === 404 && /revision "no-such-branch" not found/.test(e.message));
    });
  });

  it("says so when the Hub cannot be reached", async () => {
    await withTempDir(async (cache) => {
      const endpoint = await closedPortUrl();
      await assert.rejects(pullModel(REPO, opts(cache, { endpoint })),
        (e: unknown) => e instanceof HubRequestError && e.message.startsWith(`could not reach ${endpoint}: ECONNREFUSED`));
    });
  });

  it("filters with --include / --exclude patterns and names the files when none match", async () => {
    await withTempDir(async (cache) => {
      const r = await pullModel(REPO, opts(cache, { include: ["*.json"], exclude: ["model.*", "generation_*"] }));
      assert.deepEqual(r.files.map((f) => f.path).sort(), ["config.json", "tokenizer.json", "tokenizer_config.json"]);
      await assert.rejects(pullModel(REPO, opts(cache, { include: ["*.bin"] })),
        (e: unknown) => e instanceof BadRequestError && /no file .* matches .*\*\.bin.*config\.json/.test(e.message));
    });
  });

  it("works offline from the cache, and says clearly what is missing", async () => {
    await withTempDir(async (cache) => {
      await assert.rejects(pullModel(REPO, opts(cache, { env: { HF_HUB_OFFLINE: "1" } })),
        (e: unknown) => e instanceof BadPathError && /not in the cache and HF_HUB_OFFLINE is set/.test(e.message));
      await pullModel(REPO, opts(cache));
      hub.log.length = 0;
      const offline = await pullModel(REPO, opts(cache, { env: { HF_HUB_OFFLINE: "1" }, endpoint: "http://127.0.0.1:9" }));
      assert.equal(offline.offline, true);
      assert.equal(offline.commit, COMMIT_MAIN);
      assert.deepEqual(offline.files.map((f) => f.path), DEFAULT_FILES);
      assert.equal(hub.log.length, 0);
      const byCommit = await pullModel(`${REPO}@${COMMIT_MAIN}`, opts(cache, { offline: true }));
      assert.equal(byCommit.snapshotDir, offline.snapshotDir);
      await assert.rejects(pullModel(`${REPO}@v1`, opts(cache, { offline: true })), BadPathError);
    });
  });

  it("drops a leftover partial file longer than the real one and starts over", async () => {
    await withTempDir(async (cache) => {
      const content = fileOf("tokenizer.json");
      const blobs = join(cache, "models--google--gemma-test-it", "blobs");
      await mkdir(blobs, { recursive: true });
      await writeFile(join(blobs, `${sha256Hex(content)}.incomplete`), new Uint8Array(content.byteLength + 5));
      const r = await pullModel(REPO, opts(cache, { include: ["tokenizer.json"] }));
      await assertSameBytes(join(r.snapshotDir, "tokenizer.json"), content);
    });
  });
});
