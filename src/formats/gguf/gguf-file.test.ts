import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BadFileError, UnsupportedError } from "../../errors.js";
import { quantizeRow } from "../quant/quantize-row.js";
import { GgufFile } from "./gguf-file.js";
import { gguf, type GgufValue } from "./gguf-value.js";
import { writeGguf, type GgufTensorToWrite } from "./gguf-writer.js";

const dir = mkdtempSync(join(tmpdir(), "gguf-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const tempPath = (): string => join(dir, `f${counter++}.gguf`);

function sampleTensors(): GgufTensorToWrite[] {
  const values = Float32Array.from({ length: 2 * 256 }, (_, i) => Math.sin(i) * 3);
  return [
    { name: "a.weight", type: "F32", shape: [3, 5], data: new Uint8Array(Float32Array.from({ length: 15 }, (_, i) => i - 7).buffer) },
    { name: "q.weight", type: "Q4_K", shape: [2, 256], data: quantizeRow("Q4_K", values) },
    { name: "b.weight", type: "Q8_0", shape: [32], data: quantizeRow("Q8_0", values.subarray(0, 32)) },
    { name: "h.weight", type: "F16", shape: [7], data: quantizeRow("F16", values.subarray(0, 7)) },
  ];
}

function sampleMetadata(): [string, GgufValue][] {
  return [
    ["general.architecture", gguf.string("gemma3")],
    ["gemma3.block_count", gguf.u32(2)],
    ["gemma3.attention.layer_norm_rms_epsilon", gguf.f32(1e-6)],
    ["tokenizer.ggml.tokens", gguf.strings(["<pad>", "héllo", "▁wörld", ""])],
    ["tokenizer.ggml.scores", gguf.f32s(Float32Array.of(0, -1, -2.5, -3))],
    ["flags", gguf.bools([true, false, true])],
    ["big", gguf.u64(1n << 60n)],
  ];
}

function writeSample(alignment?: number): string {
  const path = tempPath();
  writeGguf(path, { metadata: sampleMetadata(), tensors: sampleTensors(), ...(alignment ? { alignment } : {}) });
  return path;
}

describe("GGUF writer and reader", () => {
  it("round-trips metadata and tensors", () => {
    for (const alignment of [undefined, 64, 1]) {
      const path = writeSample(alignment);
      const file = GgufFile.open(path);
      try {
        assert.equal(file.version, 3);
        assert.equal(file.alignment, alignment ?? 32);
        assert.equal(file.metadata.string("general.architecture"), "gemma3");
        assert.equal(file.metadata.uint("gemma3.block_count"), 2);
        assert.equal(file.metadata.get("gemma3.attention.layer_norm_rms_epsilon")?.value, Math.fround(1e-6));
        assert.equal(file.metadata.float("gemma3.attention.layer_norm_rms_epsilon"), 1e-6); // the decimal it was written from
        assert.deepEqual(file.metadata.stringArray("tokenizer.ggml.tokens"), ["<pad>", "héllo", "▁wörld", ""]);
        assert.deepEqual([...file.metadata.numberArray("tokenizer.ggml.scores")!], [0, -1, -2.5, -3]);
        assert.deepEqual(file.metadata.get("flags")?.value, [true, false, true]);
        assert.equal(file.metadata.get("big")?.value, 1n << 60n);
        for (const t of sampleTensors()) {
          const info = file.info(t.name);
          assert.deepEqual(info.shape, t.shape);
          assert.deepEqual(info.dims, [...t.shape].reverse());
          assert.equal(info.type, t.type);
          assert.equal(info.fileOffset % (alignment ?? 32), 0);
          assert.deepEqual(file.readTensorBytes(t.name), t.data);
        }
      } finally {
        file.close();
      }
    }
  });

  it("writes through a temporary name and leaves nothing behind on failure", () => {
    const path = tempPath();
    assert.throws(() => writeGguf(path, { metadata: [], tensors: [{ name: "x", type: "F32", shape: [4], data: new Uint8Array(3) }] }), /3 bytes of data/);
    assert.throws(() => readFileSync(path));
    assert.throws(() => readFileSync(`${path}.tmp-${process.pid}`));
  });
});

/** Byte-level builder of hostile headers. */
class Raw {
  private bytes: number[] = [];
  u32(v: number): this { for (let i = 0; i < 4; i++) this.bytes.push((v >>> (8 * i)) & 0xff); return this; }
  u64(v: bigint | number): this { let x = BigInt(v); for (let i = 0; i < 8; i++) { this.bytes.push(Number(x & 0xffn)); x >>= 8n; } return this; }
  str(s: string): this { const b = Buffer.from(s); this.u64(b.length); this.bytes.push(...b); return this; }
  pad(n: number): this { for (let i = 0; i < n; i++) this.bytes.push(0); return this; }
  alignTo(a: number): this { return this.pad((a - (this.bytes.length % a)) % a); }
  write(): string { const p = tempPath(); writeFileSync(p, Uint8Array.from(this.bytes)); return p; }
}
const head = (numTensors: number | bigint, numKv: number | bigint): Raw => new Raw().u32(0x46554747).u32(3).u64(numTensors).u64(numKv);
const tensor = (r: Raw, name: string, dims: (number | bigint)[], type: number, offset: number | bigint): Raw => {
  r.str(name).u32(dims.length);
  for (const d of dims) r.u64(d);
  return r.u32(type).u64(offset);
};

function rejects(path: string, pattern: RegExp, kind: typeof BadFileError | typeof UnsupportedError = BadFileError): void {
  assert.throws(() => GgufFile.open(path).close(), (e: unknown) => {
    assert.ok(e instanceof kind, `expected ${kind.name}, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    assert.ok(!(e as Error).message.includes("\n"), "one line");
    return true;
  });
}

describe("GGUF reader rejects hostile files with one-line errors", () => {
  it("short files and bad magic", () => {
    rejects(new Raw().pad(10).write(), /shorter than the 24-byte header/);
    rejects(new Raw().u32(0x46554746).u32(3).u64(0).u64(0).write(), /not a GGUF file: magic/);
  });
  it("versions", () => {
    rejects(new Raw().u32(0x46554747).u32(1).u64(0).u64(0).write(), /version 1 is not supported/, UnsupportedError);
    rejects(new Raw().u32(0x46554747).u32(7).u64(0).u64(0).write(), /unknown GGUF version 7/);
    rejects(new Raw().u32(0x46554747).u32(0x03000000).u64(0).u64(0).write(), /big-endian/, UnsupportedError);
  });
  it("huge counts and lengths", () => {
    rejects(head(1n << 62n, 0).write(), /tensor count \d+ cannot fit/);
    rejects(head(0, 0xffffffffffffffffn).write(), /metadata count \d+ cannot fit/);
    rejects(head(0, 1).u64(1n << 40n).pad(32).write(), /metadata key 0 length \d+ cannot fit/);
    rejects(head(0, 1).str("k").u32(8).u64(1n << 50n).pad(32).write(), /"k" length \d+ cannot fit/);
    rejects(head(0, 1).str("k").u32(9).u32(4).u64(1n << 61n).pad(32).write(), /length of "k" \d+ cannot fit/);
    rejects(head(0, 1).str("k").u32(9).u32(8).u64(1000).pad(16).write(), /k\[\d+\] length|cannot fit|file ends/);
  });
  it("metadata types", () => {
    rejects(head(0, 1).str("k").u32(13).pad(8).write(), /unknown value type 13/);
    rejects(head(0, 1).str("k").u32(9).u32(9).u64(0).write(), /arrays of arrays/);
    rejects(head(0, 1).str("k").u32(7).u32(5).write(), /bool byte is 5/);
    rejects(head(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(1).write(), /appears twice/);
    rejects(head(0, 1).str("").u32(4).u32(1).write(), /key 0 is empty/);
    rejects(head(0, 1).str("general.alignment").u32(5).u32(32).write(), /must be a u32/);
    rejects(head(0, 1).str("general.alignment").u32(4).u32(24).write(), /not a power of two/);
  });
  it("tensor infos", () => {
    rejects(tensor(head(1, 0), "t", [4], 3, 0).alignTo(32).pad(64).write(), /unknown ggml type 3|not whole/);
    rejects(tensor(head(1, 0), "t", [4], 99, 0).alignTo(32).pad(64).write(), /unknown ggml type 99/);
    rejects(tensor(head(1, 0), "t", [1, 1, 1, 1, 1], 0, 0).alignTo(32).pad(64).write(), /5 dimensions/);
    rejects(tensor(head(1, 0), "t", [1n << 40n, 1n << 40n], 0, 0).alignTo(32).pad(64).write(), /too many elements/);
    rejects(tensor(head(1, 0), "t", [33], 8, 0).alignTo(32).pad(64).write(), /not whole Q8_0 blocks/);
    rejects(tensor(head(1, 0), "t", [4], 0, 8).alignTo(32).pad(64).write(), /not a multiple of the alignment/);
    rejects(tensor(head(1, 0), "t", [4], 0, 1n << 60n).alignTo(32).pad(64).write(), /past the end of the file/);
    rejects(tensor(head(1, 0), "t", [64], 0, 32).alignTo(32).pad(64).write(), /runs past the data section/);
    rejects(tensor(tensor(head(2, 0), "t", [16], 0, 0), "u", [16], 0, 32).alignTo(32).pad(128).write(), /overlap/);
    rejects(tensor(tensor(head(2, 0), "t", [4], 0, 0), "t", [4], 0, 32).alignTo(32).pad(64).write(), /appears twice/);
    rejects(tensor(head(1, 0), "x".repeat(64), [4], 0, 0).alignTo(32).pad(64).write(), /longer than the 63-byte limit/);
  });
  it("every truncation of a valid file", () => {
    const full = readFileSync(writeSample());
    const file = GgufFile.open(writeSample());
    const end = Math.max(...[...file.tensors.values()].map((t) => t.fileOffset + t.byteLength));
    file.close();
    for (let n = 0; n < end; n += n < 400 ? 1 : 13) {
      const p = tempPath();
      writeFileSync(p, full.subarray(0, n));
      rejects(p, /./);
      rmSync(p);
    }
  });
});
