/**
 * Sequential little-endian reads from an open file through a bounded window, for parsing headers of files
 * far larger than memory. Every read first checks the bytes it needs against the end of the file, so a
 * hostile length can neither over-read nor make us allocate more than the file could hold.
 */
import { readSync } from "node:fs";
import { BadFileError } from "../../errors.js";

const WINDOW_BYTES = 1 << 20;
// ignoreBOM: a token may start with U+FEFF, which the default decoder would drop.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

export class FileCursor {
  private readonly window: Uint8Array;
  private readonly view: DataView;
  /** File offset of window[0]. */
  private windowStart = 0;
  private windowEnd = 0;
  /** Absolute file offset of the next byte to read. */
  position = 0;

  constructor(readonly path: string, private readonly fd: number, readonly fileSize: number) {
    this.window = new Uint8Array(Math.max(8, Math.min(WINDOW_BYTES, fileSize)));
    this.view = new DataView(this.window.buffer);
  }

  get remaining(): number {
    return this.fileSize - this.position;
  }

  /** Fails unless `bytes` more bytes exist; `what` names the field for the message. */
  need(bytes: number, what: string): void {
    if (!(bytes <= this.remaining)) {
      throw new BadFileError(this.path, `${what} needs ${bytes} bytes at offset ${this.position} but the file ends at ${this.fileSize}`);
    }
  }

  /** Makes [position, position + bytes) resident in the window (bytes ≤ the window's size). */
  private fill(bytes: number, what: string): number {
    this.need(bytes, what);
    if (this.position < this.windowStart || this.position + bytes > this.windowEnd) {
      const want = Math.min(this.window.length, this.fileSize - this.position);
      let got = 0;
      while (got < want) {
        const n = readSync(this.fd, this.window, got, want - got, this.position + got);
        if (n === 0) throw new BadFileError(this.path, `file ended while reading ${what} at offset ${this.position + got}`);
        got += n;
      }
      this.windowStart = this.position;
      this.windowEnd = this.position + got;
    }
    const at = this.position - this.windowStart;
    this.position += bytes;
    return at;
  }

  u8(what: string): number {
    return this.window[this.fill(1, what)]!;
  }
  u32(what: string): number {
    return this.view.getUint32(this.fill(4, what), true);
  }
  i32(what: string): number {
    return this.view.getInt32(this.fill(4, what), true);
  }
  u64(what: string): bigint {
    return this.view.getBigUint64(this.fill(8, what), true);
  }
  i64(what: string): bigint {
    return this.view.getBigInt64(this.fill(8, what), true);
  }
  f32(what: string): number {
    return this.view.getFloat32(this.fill(4, what), true);
  }
  f64(what: string): number {
    return this.view.getFloat64(this.fill(8, what), true);
  }
  u16(what: string): number {
    return this.view.getUint16(this.fill(2, what), true);
  }
  i16(what: string): number {
    return this.view.getInt16(this.fill(2, what), true);
  }
  i8(what: string): number {
    return this.view.getInt8(this.fill(1, what));
  }

  /** A u64 count or length that must fit in the rest of the file at `unitBytes` bytes per item. */
  count(what: string, unitBytes: number): number {
    const n = this.u64(what);
    if (n > BigInt(Math.floor(this.remaining / Math.max(1, unitBytes)))) {
      throw new BadFileError(this.path, `${what} ${n} cannot fit in the ${this.remaining} bytes left after offset ${this.position}`);
    }
    return Number(n);
  }

  /** Copies `bytes` bytes into `out` at `outOffset` (any size; passes through the window in pieces). */
  copy(out: Uint8Array, outOffset: number, bytes: number, what: string): void {
    this.need(bytes, what);
    let done = 0;
    while (done < bytes) {
      const piece = Math.min(this.window.length, bytes - done);
      const at = this.fill(piece, what);
      out.set(this.window.subarray(at, at + piece), outOffset + done);
      done += piece;
    }
  }

  /** A GGUF string: u64 byte length then UTF-8 bytes (invalid sequences become U+FFFD). */
  string(what: string, maxBytes = Number.MAX_SAFE_INTEGER): string {
    const length = this.count(`${what} length`, 1);
    if (length > maxBytes) throw new BadFileError(this.path, `${what} of ${length} bytes is longer than the ${maxBytes}-byte limit`);
    if (length <= this.window.length) {
      const at = this.fill(length, what);
      return utf8.decode(this.window.subarray(at, at + length));
    }
    const bytes = new Uint8Array(length);
    this.copy(bytes, 0, length, what);
    return utf8.decode(bytes);
  }

  /** Skips to the next multiple of `alignment` (which the file must reach). */
  alignTo(alignment: number, what: string): void {
    const pad = (alignment - (this.position % alignment)) % alignment;
    this.need(pad, what);
    this.position += pad;
  }
}
