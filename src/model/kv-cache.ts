/**
 * Per-sequence KV cache: one store per layer that owns keys and values (KV-shared layers read their
 * source's store). Full-attention layers keep every position (slot = position). Sliding layers keep a ring
 * of W − 1 + maxChunk slots (slot = position mod capacity): a chunk of up to maxChunk new tokens can be
 * written before attending without overwriting any key a query of that chunk still needs (spec §3), and
 * memory stays bounded by the window however long the sequence grows.
 */
import type { Backend, KvStore } from "../backends/ops.js";
import { BadRequestError } from "../errors.js";
import type { LayerConfig, ModelConfig } from "./model-config.js";

export interface KvCacheOptions {
  /** Most tokens the sequence may hold (prompt + generated). */
  readonly maxContext: number;
  /** Most tokens one forward call may add (prefill chunk size). */
  readonly maxChunk: number;
}

export class KvCache {
  private readonly stores: (KvStore | null)[];
  private position = 0;

  constructor(private readonly backend: Backend, private readonly config: ModelConfig, readonly options: KvCacheOptions) {
    this.stores = config.layers.map((layer) =>
      layer.kvSharedFrom !== null ? null : backend.createKvStore(layer.numKvHeads, layer.headDim, this.capacityOf(layer)),
    );
  }

  private capacityOf(layer: LayerConfig): number {
    if (layer.slidingWindow === null) return this.options.maxContext;
    return Math.min(this.options.maxContext, layer.slidingWindow - 1 + this.options.maxChunk);
  }

  /** Tokens already in the cache: the position the next token gets. */
  get length(): number {
    return this.position;
  }

  /** The store layer `index` attends over (its KV source's, for KV-shared layers). */
  storeFor(layer: LayerConfig): KvStore {
    const store = this.stores[layer.kvSharedFrom ?? layer.index];
    if (!store) throw new Error(`layer ${layer.index} has no KV store`);
    return store;
  }

  /** Slots where positions [start, start + count) go in the store of `layer`. */
  slotsFor(layer: LayerConfig, positions: Int32Array): Int32Array {
    const capacity = this.storeFor(layer).capacity;
    return positions.map((p) => p % capacity);
  }

  /** Positions for the next `count` tokens; throws if they do not fit. */
  nextPositions(count: number): Int32Array {
    if (count > this.options.maxChunk) throw new Error(`chunk of ${count} tokens exceeds the cache's maxChunk ${this.options.maxChunk}`);
    if (this.position + count > this.options.maxContext) {
      throw new BadRequestError(`sequence of ${this.position + count} tokens exceeds the context of ${this.options.maxContext} tokens`, "context");
    }
    const positions = new Int32Array(count);
    for (let i = 0; i < count; i++) positions[i] = this.position + i;
    return positions;
  }

  /** Records that `count` tokens were written at the positions nextPositions returned. */
  advance(count: number): void {
    this.position += count;
  }

  /** KV bytes this cache holds (or will hold when full), at the stores' bytes per value. */
  get capacityBytes(): number {
    let total = 0;
    for (const s of this.stores) if (s) total += 2 * s.capacity * s.numKvHeads * s.headDim * (s.bytesPerValue ?? 4);
    return total;
  }

  dispose(): void {
    for (const s of this.stores) if (s) this.backend.release(s);
    this.stores.fill(null);
  }

  get modelConfig(): ModelConfig {
    return this.config;
  }
}
