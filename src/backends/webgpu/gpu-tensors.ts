/**
 * Storage of the WebGPU backend: activations (float32, one pooled buffer each), weights (stored dtype,
 * split by rows into chunks that each fit one storage binding) and KV stores (keys, values and slot
 * positions, grown on demand up to their capacity).
 */
/// <reference types="@webgpu/types" />
import type { FloatWeightDtype, KvStore, Tensor, Weight, WeightDtype } from "../ops.js";

/** Weight dtypes this backend stores: the interface's float dtypes plus ggml's Q8_0 and Q4_0 blocks. */
export type GpuWeightDtype = FloatWeightDtype | "q8_0" | "q4_0";

/** ggml blocks of 32 values with an f16 scale each (the dtypes whose scales sit in a second binding). */
export function isBlockDtype(dtype: GpuWeightDtype): dtype is "q8_0" | "q4_0" {
  return dtype === "q8_0" || dtype === "q4_0";
}

export class GpuTensor implements Tensor {
  released = false;
  constructor(readonly shape: readonly number[], readonly buffer: GPUBuffer, readonly size: number) {}
  get rows(): number {
    return this.shape[0]!;
  }
  get cols(): number {
    return this.size / this.shape[0]!;
  }
  get bytes(): number {
    return this.size * 4;
  }
}

/** One chunk of a weight: rows [rowStart, rowStart + rows), in `data` (and block scales in `scales`). */
export interface WeightChunk {
  readonly rowStart: number;
  readonly rows: number;
  readonly data: GPUBuffer;
  readonly dataBytes: number;
  readonly scales: GPUBuffer | null;
  readonly scalesBytes: number;
}

export class GpuWeight implements Weight {
  released = false;
  constructor(
    readonly shape: readonly number[],
    /** The interface sees quantized weights as their nearest float dtype only through this backend. */
    readonly storedDtype: GpuWeightDtype,
    readonly chunks: readonly WeightChunk[],
  ) {}
  get dtype(): WeightDtype {
    const stored = this.storedDtype;
    return isBlockDtype(stored) ? "f32" : stored;
  }
  /** Stored as ggml blocks (Q8_0 / Q4_0). */
  get quantized(): boolean {
    return isBlockDtype(this.storedDtype);
  }
  /** Values per row (the last axis). */
  get cols(): number {
    return this.shape[this.shape.length - 1]!;
  }
  get rows(): number {
    return this.shape.reduce((a, b) => a * b, 1) / this.cols;
  }
}

export class GpuKvStore implements KvStore {
  released = false;
  /** Slots allocated on the device (grows by doubling up to capacity). */
  allocated = 0;
  /** Slots [0, used) may hold entries. */
  used = 0;
  keys: GPUBuffer | null = null;
  values: GPUBuffer | null = null;
  /** i32 per slot: the absolute position held, −1 when empty. */
  positions: GPUBuffer | null = null;
  constructor(readonly numKvHeads: number, readonly headDim: number, readonly capacity: number) {}
  get rowSize(): number {
    return this.numKvHeads * this.headDim;
  }
}

export function asGpu(x: Tensor): GpuTensor {
  if (!(x instanceof GpuTensor)) throw new Error("tensor does not belong to the WebGPU backend");
  if (x.released) throw new Error(`tensor [${x.shape}] was used after it was released`);
  return x;
}

export function asGpuWeight(w: Weight): GpuWeight {
  if (!(w instanceof GpuWeight)) throw new Error("weight does not belong to the WebGPU backend");
  if (w.released) throw new Error(`weight [${w.shape}] was used after it was released`);
  return w;
}

export function asGpuStore(s: KvStore): GpuKvStore {
  if (!(s instanceof GpuKvStore)) throw new Error("KV store does not belong to the WebGPU backend");
  if (s.released) throw new Error("KV store was used after it was released");
  return s;
}
