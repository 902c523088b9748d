/** Storage of the reference backend: plain typed arrays on the host. */
import type { KvStore, Tensor, Weight, WeightDtype } from "../ops.js";
import { bf16ToF32, f16ToF32 } from "../../formats/dtype.js";
import { decodeQuantized } from "./quantized-rows.js";

export class RefTensor implements Tensor {
  constructor(readonly shape: readonly number[], readonly data: Float32Array) {
    if (shape.reduce((a, b) => a * b, 1) !== data.length) throw new Error(`shape [${shape}] does not match ${data.length} values`);
  }
  get rows(): number {
    return this.shape[0]!;
  }
  get cols(): number {
    return this.data.length / this.shape[0]!;
  }
}

export class RefWeight implements Weight {
  constructor(readonly shape: readonly number[], readonly dtype: WeightDtype, readonly data: Float32Array | Uint16Array | Uint8Array) {}

  /** Elements per row of the last axis pair's leading dimension: shape [.., rows, cols] → cols. */
  get cols(): number {
    return this.shape[this.shape.length - 1]!;
  }

  /** Writes float32 values of elements [start, start + out.length) into `out` (converted as used). */
  decode(start: number, out: Float32Array): Float32Array {
    const n = out.length;
    switch (this.dtype) {
      case "f32":
        out.set((this.data as Float32Array).subarray(start, start + n));
        break;
      case "bf16": {
        // bf16 is the top half of a float32: shift the bits into place.
        const src = this.data as Uint16Array;
        const bits = new Uint32Array(out.buffer, out.byteOffset, n);
        for (let i = 0; i < n; i++) bits[i] = src[start + i]! << 16;
        break;
      }
      case "f16": {
        const src = this.data as Uint16Array;
        for (let i = 0; i < n; i++) out[i] = f16ToF32(src[start + i]!);
        break;
      }
      default:
        decodeQuantized(this.dtype, this.data as Uint8Array, start, out);
    }
    return out;
  }

  /** One element as float32. */
  at(index: number): number {
    switch (this.dtype) {
      case "f32": return this.data[index]!;
      case "bf16": return bf16ToF32(this.data[index]!);
      case "f16": return f16ToF32(this.data[index]!);
      default: return decodeQuantized(this.dtype, this.data as Uint8Array, index, new Float32Array(1))[0]!;
    }
  }
}

/** Keys and values in slot-major layout [slot, kvHead, d], grown on demand up to `capacity` slots. */
export class RefKvStore implements KvStore {
  readonly bytesPerValue = 4;
  keys = new Float32Array(0);
  values = new Float32Array(0);
  /** Absolute position held by each slot; -1 = empty. */
  positions = new Int32Array(0);
  /** Slots [0, used) may hold entries. */
  used = 0;

  constructor(readonly numKvHeads: number, readonly headDim: number, readonly capacity: number) {}

  get rowSize(): number {
    return this.numKvHeads * this.headDim;
  }

  ensureSlots(slots: number): void {
    if (slots > this.capacity) throw new Error(`KV slot ${slots - 1} is beyond the store's capacity ${this.capacity}`);
    if (slots <= this.positions.length) return;
    const grown = Math.min(this.capacity, Math.max(slots, 2 * this.positions.length, 16));
    const keys = new Float32Array(grown * this.rowSize);
    keys.set(this.keys);
    const values = new Float32Array(grown * this.rowSize);
    values.set(this.values);
    const positions = new Int32Array(grown).fill(-1);
    positions.set(this.positions);
    this.keys = keys;
    this.values = values;
    this.positions = positions;
  }
}

export function asRef(x: Tensor): RefTensor {
  if (!(x instanceof RefTensor)) throw new Error("tensor does not belong to the reference backend");
  return x;
}

export function asRefWeight(w: Weight): RefWeight {
  if (!(w instanceof RefWeight)) throw new Error("weight does not belong to the reference backend");
  return w;
}

export function asRefStore(s: KvStore): RefKvStore {
  if (!(s instanceof RefKvStore)) throw new Error("KV store does not belong to the reference backend");
  return s;
}
