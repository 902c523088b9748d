/**
 * The kernels as WebAssembly SIMD128 (kernels-wasm.ts, built by scripts/build-wasm-kernels.mjs from the same
 * C sources as the native addon): the CPU backend's fallback where the addon was not built (no C compiler at
 * install, Windows) and the build a browser can run. One thread: the module's memory is not shared with
 * workers (yet), so it runs the portable C kernels, vectorized to 128-bit SIMD, on the calling thread.
 *
 * Memory is the module's linear memory (wasm32: at most 4 GiB, so models larger than about 3.5 GB do not
 * fit). Blocks are handed out by a first-fit allocator kept here in TypeScript; weights are copied in once at
 * upload. Growing the memory replaces its ArrayBuffer, so views are made afresh each time they are asked for.
 */
import { UnsupportedError } from "../../errors.js";
import { OP, type KernelModule, type MemoryBlock } from "./kernel-module.js";
import { wasmApi, type WasmGlobal, type WasmMemory, type WasmModule } from "../../wasm-api.js";
import { KERNELS_WASM_BASE64 } from "./kernels-wasm.js";

interface WasmExports {
  g4_call(op: number, args: number): void;
  g4_variant(i: number, ok: number): number;
  __heap_base: WasmGlobal;
}

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, wasm32's limit
const ALIGN = 64;

class WasmBlock implements MemoryBlock {
  constructor(readonly address: number, readonly byteLength: number) {}
}

function decodeBase64(text: string): Uint8Array {
  const nodeBuffer = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (nodeBuffer) return nodeBuffer.from(text, "base64");
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

let compiled: WasmModule | null | undefined;

/** The WebAssembly kernels, or null where this JavaScript engine cannot compile them (no SIMD128). */
export function loadWasmKernels(): WasmKernels | null {
  const wasm = wasmApi();
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(decodeBase64(KERNELS_WASM_BASE64)) : null;
    } catch {
      compiled = null;
    }
  }
  return wasm && compiled ? new WasmKernels(compiled) : null;
}

export class WasmKernels implements KernelModule {
  readonly kind = "wasm";
  readonly variants: { name: string; runsHere: boolean }[] = [];
  private readonly memory: WasmMemory;
  private readonly exports: WasmExports;
  /** Free ranges, sorted by address and coalesced: [address, bytes]. */
  private readonly freeRanges: [number, number][] = [];
  private top: number;
  private readonly argsBlock: MemoryBlock;
  private argsView: Float64Array | null = null;
  private staged: MemoryBlock[] = [];

  constructor(module: WasmModule) {
    const wasm = wasmApi()!;
    this.memory = new wasm.Memory({ initial: 64, maximum: MAX_PAGES });
    const instance = new wasm.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as WasmExports;
    this.top = alignUp(Number(this.exports.__heap_base.value));
    this.argsBlock = this.alloc(32 * 8);
    const ok = this.alloc(4);
    for (let i = 0; ; i++) {
      const name = this.exports.g4_variant(i, ok.address);
      if (!name) break;
      this.variants.push({ name: this.cString(name), runsHere: new Int32Array(this.memory.buffer, ok.address, 1)[0] !== 0 });
    }
    this.free(ok);
  }

  /** Argument block of `call`, in the module's memory (a fresh view after the memory grew). */
  get args(): Float64Array {
    if (!this.argsView || this.argsView.buffer !== this.memory.buffer) this.argsView = new Float64Array(this.memory.buffer, this.argsBlock.address, 32);
    return this.argsView;
  }

  call(op: number): void {
    // No worker threads share this module's memory: ask the pool for one thread, whatever was asked.
    if (op === OP.SET_THREADS) this.args[0] = 1;
    this.exports.g4_call(op, this.argsBlock.address);
  }

  alloc(bytes: number): MemoryBlock {
    const size = alignUp(Math.max(bytes, 1));
    for (let i = 0; i < this.freeRanges.length; i++) {
      const range = this.freeRanges[i]!;
      if (range[1] < size) continue;
      const address = range[0];
      if (range[1] === size) this.freeRanges.splice(i, 1);
      else { range[0] += size; range[1] -= size; }
      return new WasmBlock(address, bytes);
    }
    const address = this.top;
    this.ensure(address + size);
    this.top = address + size;
    return new WasmBlock(address, bytes);
  }

  free(block: MemoryBlock): void {
    const size = alignUp(Math.max(block.byteLength, 1));
    let start = block.address;
    let end = start + size;
    // Insert in address order, merging with the neighbours it touches.
    let i = 0;
    while (i < this.freeRanges.length && this.freeRanges[i]![0] < start) i++;
    const before = this.freeRanges[i - 1];
    if (before && before[0] + before[1] === start) { start = before[0]; i--; this.freeRanges.splice(i, 1); }
    const after = this.freeRanges[i];
    if (after && after[0] === end) { end = after[0] + after[1]; this.freeRanges.splice(i, 1); }
    if (end === this.top) this.top = start; // the end of the heap: give it back to the bump pointer
    else this.freeRanges.splice(i, 0, [start, end - start]);
  }

  adopt(data: Uint8Array): MemoryBlock {
    const block = this.alloc(data.byteLength);
    this.u8(block).set(data);
    return block;
  }

  f32(block: MemoryBlock, length = block.byteLength >>> 2): Float32Array {
    return new Float32Array(this.memory.buffer, block.address, length);
  }

  u8(block: MemoryBlock, length = block.byteLength): Uint8Array {
    return new Uint8Array(this.memory.buffer, block.address, length);
  }

  stage(values: Int32Array | Float32Array): number {
    const block = this.alloc(values.byteLength);
    this.u8(block).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    this.staged.push(block);
    return block.address;
  }

  unstage(): void {
    for (let i = this.staged.length - 1; i >= 0; i--) this.free(this.staged[i]!);
    this.staged = [];
  }

  /** Bytes of linear memory in use (heap top); for tests. */
  get heapTop(): number {
    return this.top;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    // Grow by at least an eighth of what there is, so that many small steps do not each copy.
    const step = Math.min(MAX_PAGES - have / PAGE, Math.max(pages, Math.ceil(have / PAGE / 8)));
    try {
      if (pages > step) throw new RangeError("past 4 GiB");
      this.memory.grow(step);
    } catch {
      throw new UnsupportedError(`the WebAssembly CPU kernels ran out of memory (${(end / 2 ** 30).toFixed(2)} GiB needed, wasm32 allows 4 GiB): ` +
        "use a smaller or more quantized model, or the native kernels (a C compiler at npm install)");
    }
  }

  private cString(address: number): string {
    const bytes = new Uint8Array(this.memory.buffer, address);
    let end = 0;
    while (bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(0, end));
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
