import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BadFileError, BadPathError } from "../errors.js";
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from "./safetensors.js";

const dir = mkdtempSync(join(tmpdir(), "gemma4-st-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file made of a raw header string and data bytes. */
function rawFile(name: string, header: string, data = new Uint8Array(0), lengthOverride?: bigint): string {
  const headerBytes = Buffer.from(header, "utf8");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(lengthOverride ?? BigInt(headerBytes.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([length, headerBytes, data]));
  return path;
}

function expectBadFile(path: string, pattern: RegExp): void {
  assert.throws(() => SafetensorsFile.open(path), (e: unknown) => {
    assert.ok(e instanceof BadFileError, `expected BadFileError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(e.message.includes(path), "message names the file");
    assert.ok(!e.message.includes("\n"), "one line");
    return true;
  });
}

describe("safetensors", () => {
  it("writes and reads back every dtype, with metadata and an aligned data area", () => {
    const tensors: TensorToWrite[] = [
      { name: "a.f32", dtype: "f32", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
      { name: "b.f16", dtype: "f16", shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) },
      { name: "c.bf16", dtype: "bf16", shape: [1, 1, 2], data: Uint16Array.from([0x3f80, 0x4000]) },
      { name: "d.i64", dtype: "i64", shape: [2], data: BigInt64Array.from([-1n, 1n << 40n]) },
      { name: "e.i32", dtype: "i32", shape: [1], data: Int32Array.from([-7]) },
      { name: "f.i16", dtype: "i16", shape: [3], data: Int16Array.from([1, -2, 3]) },
      { name: "g.i8", dtype: "i8", shape: [3], data: Int8Array.from([-128, 0, 127]) },
      { name: "h.u8", dtype: "u8", shape: [2], data: Uint8Array.from([0, 255]) },
      { name: "i.bool", dtype: "bool", shape: [2], data: Uint8Array.from([1, 0]) },
      { name: "j.empty", dtype: "f32", shape: [0, 4], data: new Float32Array(0) },
      { name: "k.scalar", dtype: "f32", shape: [], data: Float32Array.of(42) },
    ];
    const path = join(dir, "all.safetensors");
    writeSafetensors(path, tensors, { format: "pt" });
    const bytes = readFileSync(path);
    assert.equal((8 + Number(bytes.readBigUInt64LE(0))) % 8, 0, "data area 8-byte aligned");
    const file = SafetensorsFile.open(path);
    assert.deepEqual(file.metadata, { format: "pt" });
    for (const t of tensors) {
      const read = file.read(t.name);
      assert.equal(read.dtype, t.dtype);
      assert.deepEqual([...read.shape], [...t.shape]);
      assert.deepEqual(Array.from(read.data as ArrayLike<number | bigint>), Array.from(t.data as ArrayLike<number | bigint>), t.name);
    }
    file.close();
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes(".tmp-")), [], "no temporary files left");
  });

  it("reads a file written by the Python safetensors library (the fixtures)", () => {
    const file = SafetensorsFile.open(new URL("../../test/fixtures/hf/gemma3/model.safetensors", import.meta.url).pathname);
    const embed = file.read("model.embed_tokens.weight");
    assert.deepEqual([...embed.shape], [512, 64]);
    assert.equal(embed.dtype, "f32");
    file.close();
  });

  it("rejects malformed and hostile files with one clear line each", () => {
    const f32x2 = new Uint8Array(8);
    expectBadFile(rawFile("empty", "", new Uint8Array(0)).replace(/$/, ""), /header of 0 bytes|shorter/);
    const tiny = join(dir, "tiny");
    writeFileSync(tiny, Buffer.from([1, 2, 3]));
    expectBadFile(tiny, /shorter than the 8-byte header length/);
    expectBadFile(rawFile("past-end", "{}", new Uint8Array(0), 1000n), /runs past the end of the file/);
    expectBadFile(rawFile("huge-length", "{}", new Uint8Array(0), 2n ** 63n), /runs past the end of the file/);
    expectBadFile(rawFile("not-json", "{not json", f32x2), /not valid JSON/);
    expectBadFile(rawFile("array", "[1,2]", f32x2), /not a JSON object/);
    expectBadFile(rawFile("bad-dtype", JSON.stringify({ x: { dtype: "F8", shape: [2], data_offsets: [0, 2] } }), f32x2), /unknown dtype "F8"/);
    expectBadFile(rawFile("bad-shape", JSON.stringify({ x: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }), f32x2), /shape is not a list/);
    expectBadFile(rawFile("outside", JSON.stringify({ x: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }), f32x2), /run past the data area/);
    expectBadFile(rawFile("reversed", JSON.stringify({ x: { dtype: "F32", shape: [0], data_offsets: [8, 4] } }), f32x2), /end before begin/);
    expectBadFile(rawFile("size-mismatch", JSON.stringify({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }), f32x2), /is 12 bytes but data_offsets span 8/);
    expectBadFile(rawFile("overlap", JSON.stringify({
      x: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      y: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
    }), f32x2), /overlap/);
    expectBadFile(rawFile("giant-shape", JSON.stringify({ x: { dtype: "F32", shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }), f32x2), /too large/);
    expectBadFile(rawFile("bad-metadata", JSON.stringify({ __metadata__: { a: 1 } }), f32x2), /__metadata__\.a is not a string/);
    expectBadFile(rawFile("missing-offsets", JSON.stringify({ x: { dtype: "F32", shape: [2] } }), f32x2), /data_offsets is not \[begin, end\]/);
  });

  it("a truncated file fails when its tensor is read, naming the file", () => {
    const path = join(dir, "truncate.safetensors");
    writeSafetensors(path, [{ name: "w", dtype: "f32", shape: [1024], data: new Float32Array(1024) }]);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    expectBadFile(path, /run past the data area/);
  });

  it("a missing file is a BadPathError", () => {
    assert.throws(() => SafetensorsFile.open(join(dir, "nope.safetensors")), (e: unknown) => e instanceof BadPathError && /ENOENT/.test(e.message));
  });

  it("produces tensors lazily while writing, and leaves nothing behind when writing fails", () => {
    const path = join(dir, "lazy.safetensors");
    let produced = 0;
    writeSafetensors(path, [1, 2, 3].map((i) => ({ name: `t${i}`, dtype: "f32" as const, shape: [i], data: () => { produced++; return new Float32Array(i).fill(i); } })));
    assert.equal(produced, 3);
    assert.deepEqual(Array.from(SafetensorsFile.open(path).read("t3").data as Float32Array), [3, 3, 3]);
    const failing = join(dir, "failing.safetensors");
    assert.throws(() => writeSafetensors(failing, [{ name: "x", dtype: "f32", shape: [4], data: new Float32Array(3) }]), /12 bytes of data for 16-byte shape/);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith("failing")), []);
  });
});
