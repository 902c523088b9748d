import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BadFileError, BadPathError } from "../errors.js";
import { writeSafetensors } from "./safetensors.js";
import { SafetensorsCheckpoint, SAFETENSORS_INDEX } from "./safetensors-checkpoint.js";

const root = mkdtempSync(join(tmpdir(), "gemma4-ckpt-"));
after(() => rmSync(root, { recursive: true, force: true }));

function shardedFolder(name: string, weightMap: Record<string, string>, shards: Record<string, string[]>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, tensors] of Object.entries(shards)) {
    writeSafetensors(join(dir, file), tensors.map((t, i) => ({ name: t, dtype: "f32" as const, shape: [2], data: Float32Array.of(i, -i) })));
  }
  writeFileSync(join(dir, SAFETENSORS_INDEX), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  return dir;
}

function expectError(fn: () => unknown, type: typeof BadFileError | typeof BadPathError, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof type && pattern.test(e.message) && !e.message.includes("\n"));
}

describe("sharded safetensors checkpoints", () => {
  it("follow model.safetensors.index.json across shards", () => {
    const dir = shardedFolder("ok", { a: "model-00001-of-00002.safetensors", b: "model-00001-of-00002.safetensors", c: "model-00002-of-00002.safetensors" },
      { "model-00001-of-00002.safetensors": ["a", "b"], "model-00002-of-00002.safetensors": ["c"] });
    const ckpt = SafetensorsCheckpoint.open(dir);
    assert.deepEqual(ckpt.tensorNames.sort(), ["a", "b", "c"]);
    assert.deepEqual(Array.from(ckpt.read("b").data as Float32Array), [1, -1]);
    assert.match(ckpt.pathOf("c"), /00002-of-00002/);
    ckpt.close();
  });

  it("reject an index naming a missing shard, a shard outside the folder, or a tensor in the wrong shard", () => {
    const missing = shardedFolder("missing", { a: "model-00001-of-00002.safetensors", b: "model-00002-of-00002.safetensors" },
      { "model-00001-of-00002.safetensors": ["a"] });
    expectError(() => SafetensorsCheckpoint.open(missing), BadFileError, /names shard model-00002-of-00002.safetensors, which is missing/);
    const escape = shardedFolder("escape", { a: "../ok/model-00001-of-00002.safetensors" }, {});
    expectError(() => SafetensorsCheckpoint.open(escape), BadFileError, /points outside the model folder/);
    const wrong = shardedFolder("wrong", { a: "s2.safetensors", b: "s2.safetensors" }, { "s1.safetensors": ["a"], "s2.safetensors": ["b"] });
    expectError(() => SafetensorsCheckpoint.open(wrong), BadFileError, /"a" is mapped to s2.safetensors but that file does not contain it/);
    const dup = shardedFolder("dup", { a: "s1.safetensors", b: "s2.safetensors" }, { "s1.safetensors": ["a"], "s2.safetensors": ["a", "b"] });
    expectError(() => SafetensorsCheckpoint.open(dup), BadFileError, /tensor "a" is also in/);
    const badIndex = join(root, "bad-index");
    mkdirSync(badIndex);
    writeFileSync(join(badIndex, SAFETENSORS_INDEX), "{\"weight_map\": 3}");
    expectError(() => SafetensorsCheckpoint.open(badIndex), BadFileError, /has no weight_map object/);
  });

  it("a folder without weights is a BadPathError", () => {
    const empty = join(root, "empty");
    mkdirSync(empty);
    expectError(() => SafetensorsCheckpoint.open(empty), BadPathError, /no model.safetensors or model.safetensors.index.json/);
  });
});
