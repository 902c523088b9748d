/**
 * Which training examples step s uses: the run visits examples epoch by epoch, each epoch in a seeded
 * permutation fixed by (seed, epoch); step s takes the `batchSize` examples at global positions
 * s·batchSize … s·batchSize + batchSize − 1. The order is a pure function of (seed, step), so a resumed
 * run sees exactly the examples an uninterrupted one would.
 */
import { seededPermutation } from "../data/seeded-random.js";

export class DataOrder {
  private cachedEpoch = -1;
  private cached: Uint32Array = new Uint32Array(0);

  constructor(readonly numExamples: number, readonly batchSize: number, readonly seed: number) {
    if (numExamples < 1) throw new Error("no training examples");
  }

  batch(step: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.batchSize; i++) {
      const position = step * this.batchSize + i;
      const epoch = Math.floor(position / this.numExamples);
      out.push(this.permutation(epoch)[position % this.numExamples]!);
    }
    return out;
  }

  /** Epochs (fractional) completed after `steps` steps. */
  epochsAfter(steps: number): number {
    return (steps * this.batchSize) / this.numExamples;
  }

  private permutation(epoch: number): Uint32Array {
    if (epoch !== this.cachedEpoch) {
      this.cached = seededPermutation(this.numExamples, (this.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
      this.cachedEpoch = epoch;
    }
    return this.cached;
  }
}
