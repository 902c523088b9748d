/**
 * Training examples from a packed token file, by index, for the training loop and its worker threads.
 * A `DataDescriptor` is plain data (a path and numbers), so each worker opens its own reader; reads are
 * positioned, so nothing is loaded up front and a dataset larger than memory works.
 *
 * Loss masks: a packed file `X.tokens` may have a sibling `X.lossmask` holding one byte per stream token,
 * 1 where that token is a target that counts (chat data: the model's turns) and 0 where not (prompts).
 * Without one, every target counts.
 *
 * Held-out split inside one file: `subset` keeps the sequences a seeded permutation puts first
 * (validation) or the rest (train); the two parts never share a sequence.
 */
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { BadFileError } from "../../errors.js";
import { IGNORE_TARGET } from "../autograd/cross-entropy.js";
import type { TrainingExample } from "../trainable-model.js";
import { PackedTokenDataset } from "./packed-token-dataset.js";
import { seededPermutation } from "./seeded-random.js";

export interface DataDescriptor {
  readonly path: string;
  readonly sequenceLength: number;
  readonly subset?: { readonly seed: number; readonly validationFraction: number; readonly part: "train" | "validation" };
}

export interface ExampleSource {
  readonly numExamples: number;
  /** Tokens (inputs) per example. */
  readonly sequenceLength: number;
  example(index: number): TrainingExample;
  close(): void;
}

export function lossMaskPath(tokensPath: string): string {
  return tokensPath.replace(/\.tokens$/, "") + ".lossmask";
}

/** Sequences a validation share of `fraction` holds out of `sequences` (at least one). */
export function heldOutCount(sequences: number, fraction: number): number {
  return Math.max(1, Math.round(fraction * sequences));
}

export function openExamples(descriptor: DataDescriptor): ExampleSource {
  const dataset = PackedTokenDataset.open(descriptor.path, { sequenceLength: descriptor.sequenceLength });
  const maskPath = lossMaskPath(descriptor.path);
  const maskFd = existsSync(maskPath) ? openSync(maskPath, "r") : null;
  let indices: Uint32Array | null = null;
  if (descriptor.subset) {
    const { seed, validationFraction, part } = descriptor.subset;
    const order = seededPermutation(dataset.numSequences, seed);
    const held = heldOutCount(dataset.numSequences, validationFraction);
    indices = part === "validation" ? order.slice(0, held) : order.slice(held);
  }
  const L = descriptor.sequenceLength;
  const mask = Buffer.alloc(L);
  return {
    numExamples: indices ? indices.length : dataset.numSequences,
    sequenceLength: L,
    example(index: number): TrainingExample {
      const sequence = indices ? indices[index]! : index;
      if (indices && sequence === undefined) throw new RangeError(`example ${index} is outside 0..${indices.length - 1}`);
      const ids = dataset.sequence(sequence);
      const inputIds = ids.subarray(0, L);
      const targets = ids.slice(1);
      if (maskFd !== null) {
        // Targets are stream positions sequence·L + 1 … sequence·L + L.
        if (readSync(maskFd, mask, 0, L, sequence * L + 1) !== L) throw new BadFileError(maskPath, `short read at sequence ${sequence}`);
        for (let t = 0; t < L; t++) if (mask[t] === 0) targets[t] = IGNORE_TARGET;
      }
      return { inputIds, targets };
    },
    close(): void {
      dataset.close();
      if (maskFd !== null) closeSync(maskFd);
    },
  };
}
