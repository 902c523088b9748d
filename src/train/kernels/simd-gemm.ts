/**
 * Loads the WebAssembly SIMD matrix kernel (gemm-simd.c) once per thread and runs products through it:
 * operands are copied into the module's memory (O(M·K + N·K + M·N), small next to the O(M·N·K) product),
 * multiplied there, and copied back. Returns null where WebAssembly SIMD is unavailable, so callers fall
 * back to the TypeScript kernel.
 */
import { GEMM_SIMD_WASM_BASE64 } from "./gemm-simd-wasm.js";
import { wasmApi, type WasmMemory } from "../../wasm-api.js";

const PAGE_BYTES = 65536;

type GemmKernel = (a: number, b: number, c: number, m: number, n: number, k: number, acc: number) => void;
type GemmXnKernel = (a: number, sam: number, sak: number, b: number, c: number, m: number, n: number, k: number, acc: number) => void;

export class SimdGemm {
  private view: Float32Array;

  private constructor(private readonly memory: WasmMemory, private readonly kernel: GemmKernel, private readonly kernelXn: GemmXnKernel) {
    this.view = new Float32Array(memory.buffer);
  }

  static create(): SimdGemm | null {
    const wasm = wasmApi();
    if (!wasm) return null;
    try {
      const memory = new wasm.Memory({ initial: 64 });
      const module = new wasm.Module(Buffer.from(GEMM_SIMD_WASM_BASE64, "base64"));
      const instance = new wasm.Instance(module, { env: { memory } });
      const kernel = instance.exports["gemm_nt"];
      const kernelXn = instance.exports["gemm_xn"];
      if (typeof kernel !== "function" || typeof kernelXn !== "function") return null;
      return new SimdGemm(memory, kernel as GemmKernel, kernelXn as GemmXnKernel);
    } catch {
      return null;
    }
  }

  /** C[M, N] (+)= A[M, K] · B[N, K]ᵀ. */
  gemmNT(A: Float32Array, B: Float32Array, C: Float32Array, M: number, N: number, K: number, accumulate: boolean): void {
    const align = (n: number): number => (n + 3) & ~3; // 16-byte aligned float offsets
    const a = 0;
    const b = align(M * K);
    const c = b + align(N * K);
    const end = c + M * N;
    this.ensure(end * 4);
    const v = this.view;
    v.set(A.subarray(0, M * K), a);
    v.set(B.subarray(0, N * K), b);
    if (accumulate) v.set(C.subarray(0, M * N), c);
    this.kernel(a * 4, b * 4, c * 4, M, N, K, accumulate ? 1 : 0);
    C.set(v.subarray(c, end));
  }

  /** C[M, N] (+)= A[M, K] · B[K, N]. */
  gemmNN(A: Float32Array, B: Float32Array, C: Float32Array, M: number, N: number, K: number, accumulate: boolean): void {
    this.gemmXN(A, K, 1, B, C, M, N, K, accumulate);
  }

  /** C[M, N] (+)= A[K, M]ᵀ · B[K, N]. */
  gemmTN(A: Float32Array, B: Float32Array, C: Float32Array, M: number, N: number, K: number, accumulate: boolean): void {
    this.gemmXN(A, 1, M, B, C, M, N, K, accumulate);
  }

  /** C (+)= A·B with B [K, N] and A read at m·sam + k·sak (both layouts of A hold M·K values). */
  private gemmXN(A: Float32Array, sam: number, sak: number, B: Float32Array, C: Float32Array, M: number, N: number, K: number, accumulate: boolean): void {
    const align = (n: number): number => (n + 3) & ~3;
    const a = 0;
    const b = align(M * K);
    const c = b + align(K * N);
    const end = c + M * N;
    this.ensure(end * 4);
    const v = this.view;
    v.set(A.subarray(0, M * K), a);
    v.set(B.subarray(0, K * N), b);
    if (accumulate) v.set(C.subarray(0, M * N), c);
    this.kernelXn(a * 4, sam, sak, b * 4, c * 4, M, N, K, accumulate ? 1 : 0);
    C.set(v.subarray(c, end));
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
    this.view = new Float32Array(this.memory.buffer);
  }
}

let shared: SimdGemm | null | undefined;

/** This thread's kernel instance (null without WebAssembly SIMD). */
export function simdGemm(): SimdGemm | null {
  if (shared === undefined) shared = SimdGemm.create();
  return shared;
}
