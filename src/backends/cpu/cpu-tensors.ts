/** Tensors, weights and KV stores of the CPU backend: shapes and dtypes on the host, values in kernel memory. */
import type { KvStore, Tensor, Weight, WeightDtype } from "../ops.js";
import type { MemoryBlock } from "./kernel-module.js";

/** A float32 activation [rows, cols] (any shape, row-major; rows = first axis). */
export class CpuTensor implements Tensor {
  released = false;
  constructor(readonly shape: readonly number[], readonly block: MemoryBlock, readonly size: number) {}

  get rows(): number {
    return this.shape[0]!;
  }

  get cols(): number {
    return this.size / this.shape[0]!;
  }
}

export class CpuWeight implements Weight {
  /** Float32 values, decoded once on first use by ops that need them that way (norm weights, scalars). */
  decoded: Float32Array | null = null;
  released = false;

  constructor(
    readonly shape: readonly number[],
    readonly dtype: WeightDtype,
    /** g4_type number. */
    readonly kernelType: number,
    readonly block: MemoryBlock,
    /** Values per row (last axis) and rows (all other axes). */
    readonly cols: number,
    readonly rows: number,
    /** Bytes per row in kernel memory. */
    readonly rowBytes: number,
  ) {}
}

/** Slot-major keys and values [slot, kvHead, d] in f32 or f16, grown on demand up to `capacity`. */
export class CpuKvStore implements KvStore {
  keys: MemoryBlock | null = null;
  values: MemoryBlock | null = null;
  /** Absolute position held by each slot; −1 = empty. */
  positions = new Int32Array(0);
  /** Slots [0, used) may hold entries. */
  used = 0;
  released = false;

  constructor(
    readonly numKvHeads: number,
    readonly headDim: number,
    readonly capacity: number,
    readonly bytesPerValue: 2 | 4,
  ) {}

  get rowBytes(): number {
    return this.numKvHeads * this.headDim * this.bytesPerValue;
  }

  /** Slots allocated so far. */
  get allocated(): number {
    return this.positions.length;
  }
}

export function asCpuTensor(x: Tensor): CpuTensor {
  if (!(x instanceof CpuTensor)) throw new Error("tensor does not belong to the cpu backend");
  if (x.released) throw new Error("tensor was released");
  return x;
}

export function asCpuWeight(w: Weight): CpuWeight {
  if (!(w instanceof CpuWeight)) throw new Error("weight does not belong to the cpu backend");
  if (w.released) throw new Error("weight was released");
  return w;
}

export function asCpuStore(s: KvStore): CpuKvStore {
  if (!(s instanceof CpuKvStore)) throw new Error("KV store does not belong to the cpu backend");
  if (s.released) throw new Error("KV store was released");
  return s;
}
