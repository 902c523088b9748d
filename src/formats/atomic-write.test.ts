import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BadPathError } from "../errors.js";
import { copyFileAtomic, writeFileAtomic, writeJsonAtomic, writeThroughTemp } from "./atomic-write.js";

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "gemma4-atomic-"));
  try { body(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

describe("atomic writes", () => {
  it("write text, bytes, JSON and copies whole, leaving no temporary file", () => withDir((dir) => {
    writeFileAtomic(join(dir, "a.txt"), "héllo\n");
    writeFileAtomic(join(dir, "b.bin"), Uint8Array.of(0, 255, 7));
    writeJsonAtomic(join(dir, "c.json"), { x: [1, 2] });
    copyFileAtomic(join(dir, "a.txt"), join(dir, "d.txt"));
    assert.equal(readFileSync(join(dir, "a.txt"), "utf8"), "héllo\n");
    assert.deepEqual([...readFileSync(join(dir, "b.bin"))], [0, 255, 7]);
    assert.equal(readFileSync(join(dir, "c.json"), "utf8"), '{\n  "x": [\n    1,\n    2\n  ]\n}\n');
    assert.equal(readFileSync(join(dir, "d.txt"), "utf8"), "héllo\n");
    assert.deepEqual(readdirSync(dir).sort(), ["a.txt", "b.bin", "c.json", "d.txt"]);
  }));

  it("a failed write keeps the old file and removes its temporary file", () => withDir((dir) => {
    const path = join(dir, "model.bin");
    writeFileSync(path, "old");
    assert.throws(() => writeThroughTemp(path, (fd) => {
      writeFileSync(fd, "half of the new");
      throw new Error("disk full");
    }), /disk full/);
    assert.equal(readFileSync(path, "utf8"), "old");
    assert.deepEqual(readdirSync(dir), ["model.bin"]);
    assert.throws(() => copyFileAtomic(join(dir, "missing"), path), /ENOENT/);
    assert.deepEqual(readdirSync(dir), ["model.bin"]);
  }));

  it("a folder where the file should go is a BadPathError, and nothing is written", () => withDir((dir) => {
    writeFileSync(join(dir, "a.txt"), "a");
    assert.throws(() => writeFileAtomic(dir, "x"), (e: unknown) => e instanceof BadPathError && e.message === `${dir}: is a folder (expected a file name to write)`);
    assert.throws(() => copyFileAtomic(join(dir, "a.txt"), dir), BadPathError);
    assert.deepEqual(readdirSync(dir), ["a.txt"]);
    assert.ok(!existsSync(`${dir}.tmp-${process.pid}`));
  }));

  it("a folder that does not exist is a BadPathError naming the path", () => withDir((dir) => {
    const path = join(dir, "no", "such", "file.json");
    assert.throws(() => writeJsonAtomic(path, {}), (e: unknown) => e instanceof BadPathError && e.message.includes(path) && /ENOENT/.test(e.message));
    assert.ok(!existsSync(join(dir, "no")));
  }));
});
