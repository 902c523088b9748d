/**
 * Whole reads and writes on file descriptors. fs.readSync / writeSync move at most 2 GiB per call and may
 * move less than asked, so large tensors go through these loops.
 */
import { readSync, writeSync } from "node:fs";
import { BadFileError } from "../errors.js";

const MAX_CHUNK = 1 << 30;

/** Reads from this size up (weights, not metadata) go into memory from the large-read allocator, if set. */
export const LARGE_READ_BYTES = 4 << 20;

let largeReadAllocator: ((byteLength: number) => Uint8Array) | null = null;

/**
 * Sets where fresh memory for large reads comes from (null: plain array buffers). The native CPU kernels
 * install one that puts weights on huge pages, which must be asked for before the bytes are written.
 */
export function setLargeReadAllocator(allocate: ((byteLength: number) => Uint8Array) | null): ((byteLength: number) => Uint8Array) | null {
  const previous = largeReadAllocator;
  largeReadAllocator = allocate;
  return previous;
}

/** Reads exactly `byteLength` bytes at absolute `offset` (into fresh, aligned memory unless `into` is given). */
export function readFully(fd: number, path: string, offset: number, byteLength: number, into?: Uint8Array): Uint8Array {
  const out = into ?? (byteLength >= LARGE_READ_BYTES && largeReadAllocator ? largeReadAllocator(byteLength) : new Uint8Array(new ArrayBuffer(byteLength)));
  let done = 0;
  while (done < byteLength) {
    const got = readSync(fd, out, done, Math.min(MAX_CHUNK, byteLength - done), offset + done);
    if (got === 0) throw new BadFileError(path, `file ended while reading bytes ${offset + done}..${offset + byteLength}`);
    done += got;
  }
  return out;
}

/** Writes all of `bytes` at the descriptor's current position. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, Math.min(MAX_CHUNK, bytes.byteLength - done));
}
