/**
 * Test support (not exported): a Gemma-like repo for the fake Hub, and a temporary cache to pull into.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FakeFile, FakeRepo } from "./fake-hub-server.js";

export const COMMIT_MAIN = "a".repeat(8) + "1234567890abcdef1234567890abcdef";
export const COMMIT_V1 = "b".repeat(8) + "1234567890abcdef1234567890abcdef";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Files as a sharded Gemma checkpoint has them, plus files a text pull leaves out. */
export function gemmaLikeFiles(shardBytes = 300_000): FakeFile[] {
  return [
    { path: ".gitattributes", content: text("*.safetensors filter=lfs diff=lfs merge=lfs -text\n"), lfs: false },
    { path: "README.md", content: text("# a model\n"), lfs: false },
    { path: "config.json", content: text(JSON.stringify({ model_type: "gemma3_text", hidden_size: 64 })), lfs: false },
    { path: "generation_config.json", content: text("{}"), lfs: false },
    { path: "model-00001-of-00002.safetensors", content: randomBytes(shardBytes), lfs: true },
    { path: "model-00002-of-00002.safetensors", content: randomBytes(shardBytes + 17), lfs: true },
    { path: "model.safetensors.index.json", content: text(JSON.stringify({ weight_map: {} })), lfs: false },
    { path: "tokenizer.json", content: randomBytes(50_000), lfs: true },
    { path: "tokenizer_config.json", content: text("{}"), lfs: false },
    { path: "chat_template.jinja", content: text("{{ bos_token }}"), lfs: false },
    { path: "gguf/model-Q4_0.gguf", content: randomBytes(40_000), lfs: true },
  ];
}

export function gemmaLikeRepo(repoId = "google/gemma-test-it", options: { gatedToken?: string } = {}): FakeRepo {
  const main = gemmaLikeFiles();
  // v1 shares every file but the config and the second shard (so removing one revision keeps shared blobs).
  const v1 = main.map((f) => f.path === "config.json" ? { ...f, content: text('{"model_type":"gemma3_text","hidden_size":32}') }
    : f.path === "model-00002-of-00002.safetensors" ? { ...f, content: randomBytes(1000) } : f);
  return { repoId, revisions: { main: { commit: COMMIT_MAIN, files: main }, v1: { commit: COMMIT_V1, files: v1 } }, ...options };
}

export async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "gemma4-hub-"));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Fast retries for tests; an idle timeout long enough that a pause of a loaded machine (GC, descheduling) never adds a
 * request the tests count (the stall test sets its own short one). */
export const TEST_RETRY = { baseDelayMs: 1, idleTimeoutMs: 30_000 } as const;
