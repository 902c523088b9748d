/**
 * Reuse of activation memory: a forward pass allocates the same sizes layer after layer, so released
 * blocks are kept in free lists by size class (powers of two in quarter steps: at most 25% slack) and
 * handed out again, instead of allocating (and, natively, page-faulting) fresh memory for every op.
 */
import type { KernelModule, MemoryBlock } from "./kernel-module.js";

/** Free blocks kept at most (bytes); beyond that released blocks go back to the module. */
const MAX_POOLED_BYTES = 1 << 30;

export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const k = Math.floor(Math.log2(bytes));
  const step = 2 ** (k - 2);
  return Math.ceil(bytes / step) * step;
}

export class BlockPool {
  private readonly free = new Map<number, MemoryBlock[]>();
  private pooledBytes = 0;

  constructor(private readonly module: KernelModule) {}

  get(bytes: number): MemoryBlock {
    const size = sizeClass(Math.max(bytes, 4));
    const list = this.free.get(size);
    const block = list?.pop();
    if (block) {
      this.pooledBytes -= block.byteLength;
      return block;
    }
    return this.module.alloc(size);
  }

  put(block: MemoryBlock): void {
    if (this.pooledBytes + block.byteLength > MAX_POOLED_BYTES) {
      this.module.free(block);
      return;
    }
    let list = this.free.get(block.byteLength);
    if (!list) this.free.set(block.byteLength, (list = []));
    list.push(block);
    this.pooledBytes += block.byteLength;
  }

  /** Returns every pooled block to the module. */
  clear(): void {
    for (const list of this.free.values()) for (const b of list) this.module.free(b);
    this.free.clear();
    this.pooledBytes = 0;
  }
}
