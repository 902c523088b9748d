/**
 * Weights on huge pages: with the native kernels loaded, large reads from checkpoint files land in memory
 * that starts on a 2 MiB boundary and is advised onto transparent huge pages before the bytes are read in
 * (kernels/g4-napi.c says why); small reads are untouched, and the bytes are the file's either way.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { LARGE_READ_BYTES, setLargeReadAllocator } from "../../formats/file-io.js";
import { SafetensorsFile, writeSafetensors } from "../../formats/safetensors.js";
import { loadNativeKernels } from "./native-kernels.js";

const HUGE_PAGE = 2 << 20;
const dir = mkdtempSync(join(tmpdir(), "gemma4-huge-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeFixture(): { path: string; big: Uint16Array; small: Uint16Array } {
  const big = Uint16Array.from({ length: (LARGE_READ_BYTES + 3 * HUGE_PAGE) / 2 + 12_345 }, (_, i) => (i * 2654435761) >>> 16);
  const small = Uint16Array.from({ length: 1000 }, (_, i) => i);
  const path = join(dir, "weights.safetensors");
  writeSafetensors(path, [
    { name: "small", dtype: "f16", shape: [small.length], data: small },
    { name: "big", dtype: "f16", shape: [big.length], data: big },
  ]);
  return { path, big, small };
}

/** The VmFlags of the mapping of this process that contains `address` (Linux /proc/self/smaps). */
function vmFlagsAt(address: number): string[] | null {
  let inside = false;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range) inside = parseInt(range[1]!, 16) <= address && address < parseInt(range[2]!, 16);
    else if (inside && line.startsWith("VmFlags:")) return line.slice(8).trim().split(/\s+/);
  }
  return null;
}

describe("reads from checkpoint files: the large-read allocator", () => {
  it("is used for reads of LARGE_READ_BYTES and more only, and the bytes are the file's", () => {
    const { path, big, small } = writeFixture();
    const asked: number[] = [];
    const previous = setLargeReadAllocator((n) => {
      asked.push(n);
      return new Uint8Array(new ArrayBuffer(n + 24), 8, n); // an offset view, as the native one returns
    });
    try {
      const file = SafetensorsFile.open(path);
      assert.deepEqual(file.read("small").data, small);
      assert.deepEqual(asked, []);
      assert.deepEqual(file.read("big").data, big);
      assert.deepEqual(asked, [big.byteLength]);
      file.close();
    } finally {
      setLargeReadAllocator(previous);
    }
  });
});

describe("native CPU kernels: weights on huge pages", () => {
  const native = loadNativeKernels();
  if (!native) {
    it("runs", (t) => t.skip("the native CPU kernels were not built (npm install with a C compiler)"));
    return;
  }
  const thp = (() => {
    try {
      return /\[(\w+)\]/.exec(readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8"))?.[1] ?? null;
    } catch {
      return null;
    }
  })();

  it("puts large reads on a 2 MiB boundary, advised for huge pages (Linux), with the file's bytes", (t) => {
    if (process.env.GEMMA4_HUGE_PAGES === "0") return t.skip("GEMMA4_HUGE_PAGES=0 turns huge pages off");
    const { path, big } = writeFixture();
    const file = SafetensorsFile.open(path);
    const data = file.read("big").data as Uint16Array;
    file.close();
    assert.deepEqual(data, big);
    const address = native.adopt(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).address;
    assert.equal(address % HUGE_PAGE, 0, "starts on a huge-page boundary");
    if (process.platform !== "linux" || thp === null || thp === "never") {
      return t.skip(`no transparent huge pages here (platform ${process.platform}, THP ${thp ?? "absent"}): alignment checked only`);
    }
    const flags = vmFlagsAt(address);
    assert.ok(flags, "the buffer's mapping is in /proc/self/smaps");
    assert.ok(flags.includes("hg"), `mapping advised MADV_HUGEPAGE (VmFlags: ${flags.join(" ")})`);
  });
});
