/**
 * Reads a packed token file (`packed-token-file.ts`) as fixed-length training sequences without loading
 * it: each read is one positioned `readSync`, so a dataset larger than memory works.
 *
 * Sequence i is tokens [i·L, i·L + L + 1) of the stream: L + 1 ids, the model's input being the first L
 * and its targets the last L. Consecutive sequences share one token, so every stream position after the
 * first is a target exactly once (the stream's tail that does not fill a sequence is left out).
 * Sequences cross document borders; the <bos>/<eos> ids mark them.
 */
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { BadFileError, BadPathError, BadRequestError } from "../../errors.js";
import type { PackedTokenHeader } from "./packed-token-file.js";
import { decodePackedTokenHeader, PACKED_TOKENS_HEADER_BYTES } from "./packed-token-file.js";
import { seededPermutation } from "./seeded-random.js";

export class PackedTokenDataset {
  readonly header: PackedTokenHeader;
  readonly sequenceLength: number;
  /** Number of whole sequences: floor((numTokens − 1) / sequenceLength). */
  readonly numSequences: number;
  private readonly fd: number;
  private scratch = Buffer.alloc(0);

  private constructor(readonly path: string, fd: number, header: PackedTokenHeader, sequenceLength: number) {
    this.fd = fd;
    this.header = header;
    this.sequenceLength = sequenceLength;
    this.numSequences = Math.max(0, Math.floor((header.numTokens - 1) / sequenceLength));
  }

  /** Opens `path`, checking the header against the file size. */
  static open(path: string, options: { sequenceLength: number }): PackedTokenDataset {
    const { sequenceLength } = options;
    if (!Number.isInteger(sequenceLength) || sequenceLength < 1) throw new BadRequestError(`sequence length ${sequenceLength} must be a positive integer`, "sequenceLength");
    if (!existsSync(path)) throw new BadPathError(path, "no such packed token file (run scripts/pack-default-data.mjs)");
    const fd = openSync(path, "r");
    try {
      const head = Buffer.alloc(PACKED_TOKENS_HEADER_BYTES);
      readSync(fd, head, 0, head.length, 0);
      const header = decodePackedTokenHeader(head, path);
      const dataset = new PackedTokenDataset(path, fd, header, sequenceLength);
      const probe = Buffer.alloc(1);
      const lastByte = PACKED_TOKENS_HEADER_BYTES + header.numTokens * header.bytesPerToken - 1;
      if (header.numTokens > 0 && readSync(fd, probe, 0, 1, lastByte) !== 1) throw new BadFileError(path, `is truncated: the header promises ${header.numTokens} tokens`);
      return dataset;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get numTokens(): number { return this.header.numTokens; }
  get vocabSize(): number { return this.header.vocabSize; }
  get bosId(): number { return this.header.bosId; }
  get eosId(): number { return this.header.eosId; }

  /** Sequence `index`: sequenceLength + 1 ids (inputs = [0, L), targets = [1, L]). Written into `out` when given. */
  sequence(index: number, out?: Int32Array): Int32Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.numSequences) throw new BadRequestError(`sequence ${index} is outside 0..${this.numSequences - 1}`, "index");
    return this.readTokens(index * this.sequenceLength, this.sequenceLength + 1, out);
  }

  /** `count` ids starting at stream position `start`. */
  readTokens(start: number, count: number, out?: Int32Array): Int32Array {
    if (start < 0 || count < 0 || start + count > this.header.numTokens) throw new BadRequestError(`tokens ${start}..${start + count} are outside the ${this.header.numTokens}-token stream`);
    const result = out ?? new Int32Array(count);
    if (result.length < count) throw new BadRequestError(`output buffer holds ${result.length} ids, need ${count}`);
    const bytes = count * this.header.bytesPerToken;
    if (this.scratch.length < bytes) this.scratch = Buffer.alloc(bytes);
    const read = readSync(this.fd, this.scratch, 0, bytes, PACKED_TOKENS_HEADER_BYTES + start * this.header.bytesPerToken);
    if (read !== bytes) throw new BadFileError(this.path, `short read at token ${start}`);
    if (this.header.bytesPerToken === 2) for (let i = 0; i < count; i++) result[i] = this.scratch.readUInt16LE(2 * i);
    else for (let i = 0; i < count; i++) result[i] = this.scratch.readUInt32LE(4 * i);
    return result;
  }

  /**
   * The order to visit sequences in for one epoch: a permutation of 0..numSequences−1 that depends only
   * on (seed, epoch), so a resumed run sees the same order.
   */
  shuffledOrder(seed: number, epoch: number): Uint32Array {
    return seededPermutation(this.numSequences, (seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}
