/**
 * Mutation fuzzing of file readers: seeded mutations of a valid file (bit flips, interesting integers over
 * length and offset fields, truncations, appended junk) must each either open and read back every tensor, or
 * fail with a typed one-line GemmaError. Anything else (a RangeError, a crash, an over-read) is a finding,
 * reported with the seed and iteration that reproduce it. Used by the fast tests and bench/fuzz-readers.mjs.
 */
import { rmSync, writeFileSync } from "node:fs";
import { isGemmaError } from "../errors.js";

export interface FuzzOptions {
  readonly seed: number;
  readonly iterations: number;
  /** A valid file to mutate. */
  readonly base: Uint8Array;
  /** Where to write each mutant. */
  readonly path: string;
  /** Opens the file and reads everything it claims to hold; throws on a bad file. */
  readonly openAndReadAll: (path: string) => void;
}

export interface FuzzResult {
  readonly opened: number;
  readonly rejected: number;
}

const INTERESTING: readonly bigint[] = [0n, 1n, 2n, 3n, 4n, 7n, 8n, 31n, 32n, 33n, 63n, 64n, 255n, 256n, 0x7fffn, 0xffffn, 0x7fffffffn,
  0x80000000n, 0xffffffffn, 0x100000000n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

/** splitmix32-style generator: deterministic per seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function mutate(base: Uint8Array, next: () => number): Uint8Array {
  let bytes = Uint8Array.from(base);
  const rounds = 1 + (next() % 3);
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length > 0 ? next() % bytes.length : 0;
    switch (next() % 6) {
      case 0: // flip bits
        for (let i = 0, n = 1 + (next() % 4); i < n && bytes.length > 0; i++) bytes[next() % bytes.length]! ^= 1 << (next() % 8);
        break;
      case 1: { // an interesting u64 (little-endian) at a random, often 8-aligned, position
        const pos = next() % 2 ? at - (at % 8) : at;
        let v = INTERESTING[next() % INTERESTING.length]!;
        for (let i = 0; i < 8 && pos + i < bytes.length; i++, v >>= 8n) bytes[pos + i] = Number(v & 0xffn);
        break;
      }
      case 2: { // an interesting u32
        let v = Number(INTERESTING[next() % INTERESTING.length]! & 0xffffffffn);
        for (let i = 0; i < 4 && at + i < bytes.length; i++, v = Math.floor(v / 256)) bytes[at + i] = v & 0xff;
        break;
      }
      case 3: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 4: { // append junk
        const extra = new Uint8Array(next() % 64);
        for (let i = 0; i < extra.length; i++) extra[i] = next() & 0xff;
        const grown = new Uint8Array(bytes.length + extra.length);
        grown.set(bytes);
        grown.set(extra, bytes.length);
        bytes = grown;
        break;
      }
      default: // random byte
        if (bytes.length > 0) bytes[at] = next() & 0xff;
    }
  }
  return bytes;
}

export function fuzzReader(options: FuzzOptions): FuzzResult {
  const next = rng(options.seed);
  let opened = 0;
  let rejected = 0;
  try {
    for (let i = 0; i < options.iterations; i++) {
      const mutant = mutate(options.base, next);
      writeFileSync(options.path, mutant);
      try {
        options.openAndReadAll(options.path);
        opened++;
      } catch (e) {
        if (!isGemmaError(e)) {
          throw new Error(`fuzz seed ${options.seed} iteration ${i}: not a typed error: ${(e as Error)?.stack ?? String(e)}`);
        }
        if ((e as Error).message.includes("\n")) throw new Error(`fuzz seed ${options.seed} iteration ${i}: message has several lines: ${(e as Error).message}`);
        rejected++;
      }
    }
  } finally {
    rmSync(options.path, { force: true });
  }
  return { opened, rejected };
}
