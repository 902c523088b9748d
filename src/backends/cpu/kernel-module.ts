/**
 * The contract between the CPU backend (TypeScript) and its kernels (C, see kernels/g4.h), whichever way
 * they were built: a native Node addon or WebAssembly. Both expose one entry point, `call(op)`, that reads
 * its arguments from a shared Float64Array (addresses, sizes and scalars are all exact in a double) and
 * writes results back into it; memory is addressed by plain numbers.
 */
import type { WeightDtype } from "../ops.js";

/** Op numbers (kernels/g4.h `enum g4_op`). */
export const OP = {
  INFO: 0, SET_THREADS: 1, REPACK: 2, MATMUL: 3, EMBED: 4, RMSNORM: 5, ROPE: 6, GATED_ACT: 7, BINARY: 8, UNARY: 9,
  KV_WRITE: 10, ATTENTION: 11, MATMUL_SCRATCH: 12, ATTENTION_SCRATCH: 13, DEQUANT_ROWS: 14, QUANTIZE_X: 15,
  TOP_LOGITS: 17,
} as const;

/** Weight type numbers (kernels/g4.h `enum g4_type`); dtypes missing here have no fast kernel. */
export const KERNEL_TYPES: Partial<Record<WeightDtype, number>> = {
  f32: 0, f16: 1, bf16: 2, q8_0: 3, q4_0: 4, q4_1: 5, q5_0: 6, q5_1: 7, q4_k: 8, q6_k: 9,
};

export const BINARY = { add: 0, mul: 1 } as const;
export const UNARY = { scale: 0, softcap: 1 } as const;
export const ACTIVATION = { gelu_tanh: 0, gelu_exact: 1 } as const;
export const KV_TYPE = { f32: 0, f16: 1 } as const;

/** A range of kernel-visible memory. */
export interface MemoryBlock {
  readonly address: number;
  readonly byteLength: number;
}

export interface KernelModule {
  /** "native" (Node addon) or "wasm". */
  readonly kind: "native" | "wasm";
  /** Argument block of `call`. */
  readonly args: Float64Array;
  call(op: number): void;
  /** New memory of at least `bytes` bytes (contents unspecified), aligned to 64 bytes. */
  alloc(bytes: number): MemoryBlock;
  free(block: MemoryBlock): void;
  /** Makes host bytes kernel-visible: the native module uses them in place (keeping a reference), the
   *  WebAssembly module copies them into its memory once. */
  adopt(data: Uint8Array): MemoryBlock;
  /** Views of a block; valid until the next allocation (WebAssembly memory may grow and move). */
  f32(block: MemoryBlock, length?: number): Float32Array;
  u8(block: MemoryBlock, length?: number): Uint8Array;
  /** The address of host values for the duration of the next `call` (copied into kernel memory where needed). */
  stage(values: Int32Array | Float32Array): number;
  /** Ends the staging of the last call. */
  unstage(): void;
  /** Names of the kernel variants in this build, and whether this CPU runs each. */
  readonly variants: readonly { readonly name: string; readonly runsHere: boolean }[];
}

export interface KernelInfo {
  readonly variant: string;
  readonly threads: number;
}

/** Selects a variant (by index, or −1 to keep the current one) and reports the current one and the threads. */
export function kernelInfo(module: KernelModule, select = -1): KernelInfo {
  module.args[0] = select;
  module.call(OP.INFO);
  return { variant: module.variants[module.args[0]!]!.name, threads: module.args[1]! };
}

export function setKernelThreads(module: KernelModule, threads: number): number {
  module.args[0] = threads;
  module.call(OP.SET_THREADS);
  return module.args[0]!;
}
