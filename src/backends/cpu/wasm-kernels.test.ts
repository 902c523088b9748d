/**
 * The WebAssembly build of the CPU kernels: it is current (built from the C sources as they are now), it
 * loads, and its allocator reuses and coalesces memory. Its numerics are covered with the other builds by
 * cpu-backend.test.ts and quantized-matmul.test.ts (every available kernel module runs the same suites).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KERNELS_WASM_SOURCE_HASH } from "./kernels-wasm.js";
import { loadWasmKernels } from "./wasm-kernels.js";
import { CpuBackend } from "./cpu-backend.js";
import { kernelSourceHash } from "./kernel-source-hash.js";

const KERNEL_SOURCES = join(fileURLToPath(import.meta.url), "..", "..", "..", "..", "src", "backends", "cpu", "kernels");

describe("cpu kernels: WebAssembly build", () => {
  it("was built from the current C sources (else run npm run build:wasm)", () => {
    assert.equal(KERNELS_WASM_SOURCE_HASH, kernelSourceHash(KERNEL_SOURCES));
  });

  it("loads and reports its variant", () => {
    const wasm = loadWasmKernels();
    assert.ok(wasm, "WebAssembly SIMD128 compiles in this Node");
    assert.deepEqual(wasm.variants, [{ name: "wasm-simd128", runsHere: true }]);
    const backend = new CpuBackend(wasm, { threads: 4 });
    assert.equal(backend.variant, "wasm-simd128");
    assert.equal(backend.threads, 1, "one thread: no workers share the module's memory");
  });

  it("reuses freed memory and coalesces neighbours", () => {
    const wasm = loadWasmKernels()!;
    const start = wasm.heapTop;
    const a = wasm.alloc(1000);
    const b = wasm.alloc(5000);
    const c = wasm.alloc(100);
    wasm.free(a);
    wasm.free(b);
    const d = wasm.alloc(6000); // fits in a + b merged
    assert.equal(d.address, a.address);
    wasm.free(d);
    wasm.free(c);
    assert.equal(wasm.heapTop, start, "everything freed: the heap shrinks back");
    const big = wasm.alloc(64 << 20); // grows the memory
    wasm.f32(big)[big.byteLength / 4 - 1] = 1.5;
    assert.equal(wasm.f32(big)[big.byteLength / 4 - 1], 1.5);
    wasm.free(big);
  });
});
