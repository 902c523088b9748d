/**
 * The kernels as a native Node addon (build/native/gemma4-cpu.node, made by scripts/build-native.mjs at
 * install). Memory is ordinary ArrayBuffers: V8 never moves their contents, so an address taken once stays
 * valid while the buffer lives; weights are used in place, without a copy.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setLargeReadAllocator } from "../../formats/file-io.js";
import type { KernelModule, MemoryBlock } from "./kernel-module.js";

interface NativeAddon {
  setArgs(args: Float64Array): void;
  call(op: number): void;
  address(view: ArrayBufferView | ArrayBuffer): number;
  variant(i: number): [string, boolean] | undefined;
  adviseHugePages(bytes: Uint8Array): number;
}

/** A block backed by a JS array buffer (kept referenced by the block itself). */
class NativeBlock implements MemoryBlock {
  constructor(readonly address: number, readonly byteLength: number, readonly buffer: ArrayBuffer, readonly byteOffset: number) {}
}

/** dist/backends/cpu/ → package root. */
const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const NATIVE_ADDON_PATH = join(PACKAGE_ROOT, "build", "native", "gemma4-cpu.node");

const HUGE_PAGE = 2 << 20;

let loaded: NativeKernels | null | undefined;

/** The native kernels, or null when the addon was not built (no compiler at install) or does not load. */
export function loadNativeKernels(): NativeKernels | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (!existsSync(NATIVE_ADDON_PATH)) return null;
  try {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    // GEMMA4_HUGE_PAGES=0 keeps ordinary pages (to measure the difference).
    const kernels = new NativeKernels(addon, process.env.GEMMA4_HUGE_PAGES !== "0");
    loaded = kernels;
    // Weights read from files from now on land on huge pages too.
    if (kernels.hugePages) setLargeReadAllocator((n) => kernels.allocateOnHugePages(n));
  } catch {
    loaded = null;
  }
  return loaded;
}

export class NativeKernels implements KernelModule {
  readonly kind = "native";
  readonly args = new Float64Array(32);
  readonly variants: { name: string; runsHere: boolean }[] = [];
  private staged: (Int32Array | Float32Array)[] = [];

  /**
   * @param hugePages whether blocks and weight reads of 2 MiB and more go on transparent huge pages
   *   (kernels/g4-napi.c says why)
   */
  constructor(private readonly addon: NativeAddon, readonly hugePages = true) {
    addon.setArgs(this.args);
    for (let i = 0; ; i++) {
      const v = addon.variant(i);
      if (!v) break;
      this.variants.push({ name: v[0], runsHere: v[1] });
    }
  }

  call(op: number): void {
    this.addon.call(op);
  }

  alloc(bytes: number): MemoryBlock {
    if (bytes >= HUGE_PAGE && this.hugePages) {
      // Activations of a long prefill: fresh memory faulted in 2 MiB at a time, not 4 KiB (the first
      // 512-token prefill of E2B Q4_0 touches 485 MB of new activation memory: 88 → 110 tokens/s here).
      const view = this.allocateOnHugePages(bytes);
      return new NativeBlock(this.addon.address(view), bytes, view.buffer as ArrayBuffer, view.byteOffset);
    }
    // 64 spare bytes so that the block can start on a cache line.
    const buffer = new ArrayBuffer(bytes + 64);
    const base = this.addon.address(buffer);
    const skip = (64 - (base % 64)) % 64;
    return new NativeBlock(base + skip, bytes, buffer, skip);
  }

  free(_block: MemoryBlock): void {
    // Garbage collection returns array buffers; the backend's pool reuses blocks before that.
  }

  /** Fresh memory for `byteLength` bytes read from a file, starting on a 2 MiB boundary and advised onto
   *  huge pages before anything touches it (kernels/g4-napi.c says why: page walks in decode). */
  allocateOnHugePages(byteLength: number): Uint8Array {
    const buffer = new ArrayBuffer(byteLength + HUGE_PAGE);
    const base = this.addon.address(buffer);
    const view = new Uint8Array(buffer, (HUGE_PAGE - (base % HUGE_PAGE)) % HUGE_PAGE, byteLength);
    this.addon.adviseHugePages(view);
    return view;
  }

  adopt(data: Uint8Array): MemoryBlock {
    return new NativeBlock(this.addon.address(data), data.byteLength, data.buffer as ArrayBuffer, data.byteOffset);
  }

  f32(block: MemoryBlock, length = block.byteLength >>> 2): Float32Array {
    const b = block as NativeBlock;
    return new Float32Array(b.buffer, b.byteOffset, length);
  }

  u8(block: MemoryBlock, length = block.byteLength): Uint8Array {
    const b = block as NativeBlock;
    return new Uint8Array(b.buffer, b.byteOffset, length);
  }

  stage(values: Int32Array | Float32Array): number {
    this.staged.push(values);
    return this.addon.address(values);
  }

  unstage(): void {
    this.staged.length = 0;
  }
}
