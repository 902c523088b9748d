/**
 * The packed token file: every document's ids, each wrapped as <bos> … <eos>, concatenated into one
 * stream behind a 64-byte header. Training cuts the stream into fixed-length sequences at read time
 * (`PackedTokenDataset`), so one file serves any sequence length.
 *
 * Layout (little-endian):
 *
 *   offset  size  field
 *        0     8  magic "G4TOKENS"
 *        8     4  format version (1)
 *       12     4  bytes per token id: 2 (uint16, vocab ≤ 65536) or 4 (uint32)
 *       16     4  vocabulary size
 *       20     4  bos id
 *       24     4  eos id
 *       28     4  number of documents
 *       32     8  number of tokens (uint64)
 *       40    24  reserved, zero
 *       64     …  the token ids
 *
 * `PackedTokenWriter` streams: ids are buffered and appended, the header is written last, and the file
 * appears under its name only when complete (temp name, then rename).
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { BadFileError, BadRequestError } from "../../errors.js";
import { tempNameFor } from "../../formats/atomic-write.js";

export const PACKED_TOKENS_MAGIC = "G4TOKENS";
export const PACKED_TOKENS_VERSION = 1;
export const PACKED_TOKENS_HEADER_BYTES = 64;

export interface PackedTokenHeader {
  readonly bytesPerToken: 2 | 4;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly numDocuments: number;
  readonly numTokens: number;
}

export function encodePackedTokenHeader(h: PackedTokenHeader): Buffer {
  const b = Buffer.alloc(PACKED_TOKENS_HEADER_BYTES);
  b.write(PACKED_TOKENS_MAGIC, 0, "ascii");
  b.writeUInt32LE(PACKED_TOKENS_VERSION, 8);
  b.writeUInt32LE(h.bytesPerToken, 12);
  b.writeUInt32LE(h.vocabSize, 16);
  b.writeUInt32LE(h.bosId, 20);
  b.writeUInt32LE(h.eosId, 24);
  b.writeUInt32LE(h.numDocuments, 28);
  b.writeBigUInt64LE(BigInt(h.numTokens), 32);
  return b;
}

export function decodePackedTokenHeader(b: Buffer, path: string): PackedTokenHeader {
  if (b.length < PACKED_TOKENS_HEADER_BYTES || b.toString("ascii", 0, 8) !== PACKED_TOKENS_MAGIC) throw new BadFileError(path, `not a packed token file (no ${PACKED_TOKENS_MAGIC} header)`);
  const version = b.readUInt32LE(8);
  if (version !== PACKED_TOKENS_VERSION) throw new BadFileError(path, `packed token format version ${version} is not supported (expected ${PACKED_TOKENS_VERSION})`);
  const bytesPerToken = b.readUInt32LE(12);
  if (bytesPerToken !== 2 && bytesPerToken !== 4) throw new BadFileError(path, `bytes per token ${bytesPerToken} must be 2 or 4`);
  const numTokens = Number(b.readBigUInt64LE(32));
  return { bytesPerToken, vocabSize: b.readUInt32LE(16), bosId: b.readUInt32LE(20), eosId: b.readUInt32LE(24), numDocuments: b.readUInt32LE(28), numTokens };
}

export class PackedTokenWriter {
  private readonly fd: number;
  private readonly temp: string;
  private readonly bytesPerToken: 2 | 4;
  private buffer: Buffer;
  private used = 0;
  private numTokens = 0;
  private numDocuments = 0;
  private position = PACKED_TOKENS_HEADER_BYTES;
  private closed = false;

  constructor(private readonly path: string, private readonly options: { vocabSize: number; bosId: number; eosId: number }) {
    this.bytesPerToken = options.vocabSize <= 65536 ? 2 : 4;
    this.temp = tempNameFor(path);
    this.fd = openSync(this.temp, "w");
    this.buffer = Buffer.alloc(1 << 20);
  }

  /** Appends one document as <bos> ids… <eos>. */
  appendDocument(ids: ArrayLike<number>): void {
    this.push(this.options.bosId);
    for (let i = 0; i < ids.length; i++) this.push(ids[i]!);
    this.push(this.options.eosId);
    this.numDocuments++;
  }

  /** Writes the header and moves the file to its name; returns the header written. */
  close(): PackedTokenHeader {
    if (this.closed) throw new BadRequestError(`${this.path}: writer already closed`);
    this.closed = true;
    this.flush();
    const header: PackedTokenHeader = { bytesPerToken: this.bytesPerToken, vocabSize: this.options.vocabSize, bosId: this.options.bosId, eosId: this.options.eosId, numDocuments: this.numDocuments, numTokens: this.numTokens };
    writeSync(this.fd, encodePackedTokenHeader(header), 0, PACKED_TOKENS_HEADER_BYTES, 0);
    closeSync(this.fd);
    renameSync(this.temp, this.path);
    return header;
  }

  /** Gives up: closes and deletes the partial file. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    rmSync(this.temp, { force: true });
  }

  private push(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.options.vocabSize) throw new BadRequestError(`token id ${id} is outside the vocabulary of ${this.options.vocabSize}`);
    if (this.used + this.bytesPerToken > this.buffer.length) this.flush();
    if (this.bytesPerToken === 2) this.buffer.writeUInt16LE(id, this.used);
    else this.buffer.writeUInt32LE(id, this.used);
    this.used += this.bytesPerToken;
    this.numTokens++;
  }

  private flush(): void {
    if (this.used === 0) return;
    writeSync(this.fd, this.buffer, 0, this.used, this.position);
    this.position += this.used;
    this.used = 0;
  }
}
