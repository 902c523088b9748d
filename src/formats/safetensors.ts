/**
 * safetensors reader and writer (https://github.com/huggingface/safetensors, format v1).
 *
 * Layout: u64 little-endian header length N, N bytes of JSON header, then the data area. The header maps
 * tensor names to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data area) plus an
 * optional `__metadata__` string map. The reader validates everything before it trusts it and reads each
 * tensor on demand, so a checkpoint far larger than memory loads tensor by tensor.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { writeThroughTemp } from "./atomic-write.js";
import { BadFileError, BadPathError } from "../errors.js";
import { DTYPE_BYTES, type AnyDtypeArray, type Dtype, viewAs } from "./dtype.js";
import { readFully, writeAll } from "./file-io.js";

const SAFETENSORS_DTYPES: Readonly<Record<string, Dtype>> = {
  F32: "f32", F16: "f16", BF16: "bf16", I64: "i64", I32: "i32", I16: "i16", I8: "i8", U8: "u8", BOOL: "bool",
};
const DTYPE_NAMES: Readonly<Record<Dtype, string>> = {
  f32: "F32", f16: "F16", bf16: "BF16", i64: "I64", i32: "I32", i16: "I16", i8: "I8", u8: "U8", bool: "BOOL",
};

/** Largest header we accept; real headers are well under 10 MB (a 60 GB checkpoint's is ~100 KB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Absolute byte offset of the first element in the file. */
  readonly fileOffset: number;
  readonly byteLength: number;
}

export interface StoredTensor<D extends Dtype = Dtype> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: AnyDtypeArray;
}

export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** One open .safetensors file; tensors are read when asked for. Call `close()` when done. */
export class SafetensorsFile {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  private fd: number | null;

  private constructor(readonly path: string, fd: number, tensors: Map<string, TensorInfo>, metadata: Record<string, string>) {
    this.fd = fd;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw new BadPathError(path, `cannot open safetensors file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
    }
    try {
      const { tensors, metadata } = parseHeader(path, fd);
      return new SafetensorsFile(path, fd, tensors, metadata);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new BadFileError(this.path, `no tensor named ${JSON.stringify(name)}`);
    return info;
  }

  /** Reads one tensor into fresh, aligned memory (never a view of a shared buffer). */
  read(name: string): StoredTensor {
    const info = this.info(name);
    const bytes = this.readBytes(info.fileOffset, info.byteLength);
    return { dtype: info.dtype, shape: info.shape, data: viewAs(info.dtype, bytes) };
  }

  /** Rows [start, start + count) of a tensor (first dimension), into fresh memory. */
  readRows(name: string, start: number, count: number): StoredTensor {
    const info = this.info(name);
    const rows = info.shape[0] ?? 1;
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= rows)) {
      throw new RangeError(`${this.path}: rows ${start}..${start + count} of ${name} (${rows} rows)`);
    }
    const rowBytes = rows === 0 ? 0 : info.byteLength / rows;
    const bytes = this.readBytes(info.fileOffset + start * rowBytes, count * rowBytes);
    return { dtype: info.dtype, shape: [count, ...info.shape.slice(1)], data: viewAs(info.dtype, bytes) };
  }

  /** Reads `byteLength` bytes at absolute `offset`. */
  readBytes(offset: number, byteLength: number, into?: Uint8Array): Uint8Array {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    return readFully(this.fd, this.path, offset, byteLength, into);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function parseHeader(path: string, fd: number): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) throw new BadFileError(path, `not a safetensors file: ${fileSize} bytes is shorter than the 8-byte header length`);
  const lengthBytes = Buffer.alloc(8);
  readSync(fd, lengthBytes, 0, 8, 0);
  const headerLength = lengthBytes.readBigUInt64LE(0);
  if (headerLength > BigInt(fileSize - 8)) {
    throw new BadFileError(path, `safetensors header length ${headerLength} runs past the end of the file (${fileSize} bytes)`);
  }
  const headerBytes = Number(headerLength);
  if (headerBytes > MAX_HEADER_BYTES) throw new BadFileError(path, `safetensors header of ${headerBytes} bytes is larger than the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerBytes < 2) throw new BadFileError(path, `safetensors header of ${headerBytes} bytes cannot hold a JSON object`);
  const header = Buffer.alloc(headerBytes);
  const got = readSync(fd, header, 0, headerBytes, 8);
  if (got !== headerBytes) throw new BadFileError(path, `safetensors header truncated: read ${got} of ${headerBytes} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(header.toString("utf8"));
  } catch (e) {
    throw new BadFileError(path, `safetensors header is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new BadFileError(path, "safetensors header is not a JSON object");

  const dataStart = 8 + headerBytes;
  const dataSize = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(path, entry);
      continue;
    }
    const bad = (why: string): never => {
      throw new BadFileError(path, `tensor ${JSON.stringify(name)}: ${why}`);
    };
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) bad("entry is not an object");
    const { dtype: rawDtype, shape: rawShape, data_offsets: rawOffsets } = entry as Record<string, unknown>;
    if (typeof rawDtype !== "string") bad("dtype missing");
    const dtype = SAFETENSORS_DTYPES[rawDtype as string];
    if (dtype === undefined) bad(`unknown dtype ${JSON.stringify(rawDtype)}`);
    if (!Array.isArray(rawShape) || !rawShape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad("shape is not a list of non-negative integers");
    const shape = rawShape as number[];
    if (!Array.isArray(rawOffsets) || rawOffsets.length !== 2 || !rawOffsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad("data_offsets is not [begin, end]");
    }
    const [begin, end] = rawOffsets as [number, number];
    if (end < begin) bad(`data_offsets [${begin}, ${end}] end before begin`);
    if (end > dataSize) bad(`data_offsets [${begin}, ${end}] run past the data area (${dataSize} bytes)`);
    let elements = 1;
    for (const d of shape) {
      elements *= d;
      if (!Number.isSafeInteger(elements)) bad(`shape [${shape.join(", ")}] is too large`);
    }
    const expected = elements * DTYPE_BYTES[dtype!];
    if (expected !== end - begin) bad(`shape [${shape.join(", ")}] × ${rawDtype} is ${expected} bytes but data_offsets span ${end - begin}`);
    spans.push({ name, begin, end });
    tensors.set(name, { name, dtype: dtype!, shape: Object.freeze([...shape]), fileOffset: dataStart + begin, byteLength: end - begin });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1]!;
    const cur = spans[i]!;
    if (cur.begin < prev.end) throw new BadFileError(path, `tensors ${JSON.stringify(prev.name)} and ${JSON.stringify(cur.name)} overlap in the data area`);
  }
  return { tensors, metadata };
}

function parseMetadata(path: string, entry: unknown): Record<string, string> {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new BadFileError(path, "__metadata__ is not an object");
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== "string") throw new BadFileError(path, `__metadata__.${k} is not a string`);
  }
  return { ...(entry as Record<string, string>) };
}

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** The elements, or a function that produces them when the writer reaches this tensor (bounded memory). */
  readonly data: AnyDtypeArray | (() => AnyDtypeArray);
}

/**
 * Writes a .safetensors file: to `path + ".tmp-<pid>"` first, renamed into place only when complete, so a
 * crash never leaves a half-written file under the real name. Tensors are laid out in the given order.
 */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Readonly<Record<string, string>>): void {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header["__metadata__"] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === "__metadata__" || t.name in header) throw new Error(`duplicate or reserved tensor name ${t.name}`);
    const bytes = numElements(t.shape) * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: DTYPE_NAMES[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let headerJson = JSON.stringify(header);
  // Pad with spaces so the data area starts 8-byte aligned (as the Rust writer does).
  headerJson += " ".repeat((8 - ((8 + Buffer.byteLength(headerJson)) % 8)) % 8);
  const headerBuf = Buffer.from(headerJson, "utf8");
  const lengthBuf = Buffer.alloc(8);
  lengthBuf.writeBigUInt64LE(BigInt(headerBuf.length));

  writeThroughTemp(path, (fd) => {
    writeAll(fd, lengthBuf);
    writeAll(fd, headerBuf);
    for (const t of tensors) {
      const data = typeof t.data === "function" ? t.data() : t.data;
      const expected = numElements(t.shape) * DTYPE_BYTES[t.dtype];
      if (data.byteLength !== expected) throw new Error(`tensor ${t.name}: ${data.byteLength} bytes of data for ${expected}-byte shape`);
      writeAll(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  });
}
