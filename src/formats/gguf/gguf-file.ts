/**
 * GGUF reader (versions 2 and 3; gguf.h). Layout: "GGUF", u32 version, u64 tensor count, u64 metadata count,
 * the metadata (key string, u32 type, value), the tensor infos (name, u32 n_dims, u64 dims innermost first,
 * u32 ggml type, u64 offset), padding to `general.alignment` (default 32), then the data section.
 *
 * Everything is validated before it is trusted, the way safetensors.ts does it: counts and lengths against
 * the bytes left in the file, value and tensor types against the known sets, alignment a power of two, every
 * tensor's byte size from its type's block geometry, data inside the file, offsets aligned, no overlaps.
 * Tensors are read on demand; a header is parsed through a 1 MiB window, never the whole file.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { BadFileError, BadPathError, UnsupportedError } from "../../errors.js";
import { ggmlTypeById, type GgmlTypeName } from "../quant/ggml-type.js";
import { FileCursor } from "./file-cursor.js";
import { GgufMetadata } from "./gguf-metadata.js";
import { scalarTypeOfCode, SCALAR_CODES, type GgufArray, type GgufScalarType, type GgufValue } from "./gguf-value.js";

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_NAME: tensor names are shorter than this many bytes. */
export const GGUF_MAX_NAME_BYTES = 64;
const GGML_MAX_DIMS = 4;
const MAX_KEY_BYTES = 65535;
const MAX_READ_CHUNK = 1 << 30;

export interface GgufTensorInfo {
  readonly name: string;
  readonly type: GgmlTypeName;
  /** ggml order: dims[0] is the innermost (contiguous) axis. */
  readonly dims: readonly number[];
  /** PyTorch order (dims reversed): [rows, columns] for a matrix. */
  readonly shape: readonly number[];
  readonly numElements: number;
  /** Offset inside the data section, as stored. */
  readonly offset: number;
  /** Absolute offset in the file. */
  readonly fileOffset: number;
  readonly byteLength: number;
}

export class GgufFile {
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    readonly version: number,
    readonly metadata: GgufMetadata,
    readonly tensors: ReadonlyMap<string, GgufTensorInfo>,
    readonly alignment: number,
    readonly dataOffset: number,
    readonly fileSize: number,
  ) {
    this.fd = fd;
  }

  static open(path: string): GgufFile {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw new BadPathError(path, `cannot open GGUF file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
    }
    try {
      const fileSize = fstatSync(fd).size;
      const cursor = new FileCursor(path, fd, fileSize);
      const header = parseHeader(cursor);
      return new GgufFile(path, fd, header.version, header.metadata, header.tensors, header.alignment, header.dataOffset, fileSize);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  info(name: string): GgufTensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new BadFileError(this.path, `no tensor named ${JSON.stringify(name)}`);
    return info;
  }

  /** The tensor's stored bytes, in fresh memory. */
  readTensorBytes(name: string): Uint8Array {
    const info = this.info(name);
    return this.readBytes(info.fileOffset, info.byteLength);
  }

  /** Reads `byteLength` bytes at absolute `offset` (e.g. a few rows of a huge embedding table). */
  readBytes(offset: number, byteLength: number, into?: Uint8Array): Uint8Array {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    if (offset < 0 || offset + byteLength > this.fileSize) throw new BadFileError(this.path, `read of bytes ${offset}..${offset + byteLength} is outside the file (${this.fileSize} bytes)`);
    const out = into ?? new Uint8Array(new ArrayBuffer(byteLength));
    let done = 0;
    while (done < byteLength) {
      const got = readSync(this.fd, out, done, Math.min(MAX_READ_CHUNK, byteLength - done), offset + done);
      if (got === 0) throw new BadFileError(this.path, `file ended while reading bytes ${offset + done}..${offset + byteLength}`);
      done += got;
    }
    return out;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

interface Header {
  version: number;
  metadata: GgufMetadata;
  tensors: Map<string, GgufTensorInfo>;
  alignment: number;
  dataOffset: number;
}

function parseHeader(c: FileCursor): Header {
  const bad = (why: string): never => {
    throw new BadFileError(c.path, why);
  };
  if (c.fileSize < 24) bad(`not a GGUF file: ${c.fileSize} bytes is shorter than the 24-byte header`);
  const magic = c.u32("magic");
  if (magic !== GGUF_MAGIC) bad(`not a GGUF file: magic bytes are 0x${magic.toString(16).padStart(8, "0")}, expected "GGUF"`);
  const version = c.u32("version");
  if (version === 1) throw new UnsupportedError(`${c.path}: GGUF version 1 is not supported (only 2 and 3)`);
  if ((version & 0xffff) === 0 && version !== 0) throw new UnsupportedError(`${c.path}: GGUF version field 0x${version.toString(16)} looks byte-swapped: big-endian GGUF files are not supported`);
  if (version !== 2 && version !== 3) bad(`unknown GGUF version ${version} (expected 2 or 3)`);
  // A tensor info takes at least 8 (name length) + 1 + 4 + 4 + 8 bytes; a key/value at least 8 + 1 + 4 + 1.
  const numTensors = c.count("tensor count", 25);
  const numKv = c.count("metadata count", 14);

  const entries = new Map<string, GgufValue>();
  for (let i = 0; i < numKv; i++) {
    const key = c.string(`metadata key ${i}`, MAX_KEY_BYTES);
    if (key.length === 0) bad(`metadata key ${i} is empty`);
    if (entries.has(key)) bad(`metadata key ${JSON.stringify(key)} appears twice`);
    entries.set(key, readValue(c, JSON.stringify(key)));
  }
  const metadata = new GgufMetadata(c.path, entries);
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const alignValue = entries.get("general.alignment");
  if (alignValue) {
    if (alignValue.type !== "u32") bad(`metadata general.alignment must be a u32, not ${alignValue.type}`);
    alignment = alignValue.value as number;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) bad(`general.alignment ${alignment} is not a power of two`);
  }

  const infos: Omit<GgufTensorInfo, "fileOffset">[] = [];
  const names = new Set<string>();
  for (let i = 0; i < numTensors; i++) {
    const name = c.string(`tensor ${i} name`, GGUF_MAX_NAME_BYTES - 1);
    if (name.length === 0) bad(`tensor ${i} has an empty name`);
    const label = `tensor ${JSON.stringify(name)}`;
    if (names.has(name)) bad(`${label} appears twice`);
    names.add(name);
    const t = (why: string): never => bad(`${label}: ${why}`);
    const numDims = c.u32(`${label} n_dims`);
    if (numDims > GGML_MAX_DIMS) t(`${numDims} dimensions (at most ${GGML_MAX_DIMS})`);
    const dims: number[] = [];
    let numElements = 1;
    for (let d = 0; d < numDims; d++) {
      const n = c.u64(`${label} dimension ${d}`);
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) t(`dimension ${d} is ${n}`);
      dims.push(Number(n));
      numElements *= Number(n);
      if (!Number.isSafeInteger(numElements)) t(`shape [${dims.join(", ")}…] has too many elements`);
    }
    const typeId = c.u32(`${label} type`);
    const type = ggmlTypeById(typeId);
    if (!type) t(`unknown ggml type ${typeId}`);
    const { blockElems, blockBytes, name: typeName } = type!;
    const rowElems = dims[0] ?? 1;
    if (rowElems % blockElems !== 0) t(`rows of ${rowElems} values are not whole ${typeName} blocks of ${blockElems}`);
    const byteLength = (numElements / blockElems) * blockBytes;
    if (!Number.isSafeInteger(byteLength)) t(`byte size overflows`);
    const offset = c.u64(`${label} offset`);
    if (offset > BigInt(c.fileSize)) t(`data offset ${offset} is past the end of the file (${c.fileSize} bytes)`);
    const off = Number(offset);
    if (off % alignment !== 0) t(`data offset ${off} is not a multiple of the alignment ${alignment}`);
    infos.push({ name, type: typeName, dims, shape: [...dims].reverse(), numElements, offset: off, byteLength });
  }
  if (numTensors > 0) c.alignTo(alignment, "padding before the tensor data");
  const dataOffset = c.position;
  const dataBytes = c.fileSize - dataOffset;

  const tensors = new Map<string, GgufTensorInfo>();
  for (const info of infos) {
    if (info.offset + info.byteLength > dataBytes) {
      bad(`tensor ${JSON.stringify(info.name)}: data [${info.offset}, ${info.offset + info.byteLength}) runs past the data section (${dataBytes} bytes)`);
    }
    tensors.set(info.name, Object.freeze({ ...info, dims: Object.freeze(info.dims), shape: Object.freeze(info.shape), fileOffset: dataOffset + info.offset }));
  }
  const spans = [...tensors.values()].filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]!.offset < spans[i - 1]!.offset + spans[i - 1]!.byteLength) {
      bad(`tensors ${JSON.stringify(spans[i - 1]!.name)} and ${JSON.stringify(spans[i]!.name)} overlap in the data section`);
    }
  }
  return { version, metadata, tensors, alignment, dataOffset };
}

/** `key` is the JSON-quoted key, as messages show it. */
function readValue(c: FileCursor, key: string): GgufValue {
  const code = c.u32(`type of ${key}`);
  if (code === 9) {
    const itemCode = c.u32(`item type of ${key}`);
    const itemType = scalarTypeOfCode(itemCode);
    if (!itemType) {
      throw new BadFileError(c.path, `metadata ${key}: ${itemCode === 9 ? "arrays of arrays are" : `item type ${itemCode} is`} not supported`);
    }
    const length = c.count(`length of ${key}`, SCALAR_CODES[itemType].bytes);
    return { type: "array", itemType, value: readArray(c, key, itemType, length) };
  }
  const type = scalarTypeOfCode(code);
  if (!type) throw new BadFileError(c.path, `metadata ${key} has unknown value type ${code}`);
  return readScalar(c, key, type);
}

function readScalar(c: FileCursor, key: string, type: GgufScalarType): GgufValue {
  switch (type) {
    case "u8": return { type, value: c.u8(key) };
    case "i8": return { type, value: c.i8(key) };
    case "u16": return { type, value: c.u16(key) };
    case "i16": return { type, value: c.i16(key) };
    case "u32": return { type, value: c.u32(key) };
    case "i32": return { type, value: c.i32(key) };
    case "f32": return { type, value: c.f32(key) };
    case "f64": return { type, value: c.f64(key) };
    case "u64": return { type, value: c.u64(key) };
    case "i64": return { type, value: c.i64(key) };
    case "bool": return { type, value: readBool(c, key) };
    case "string": return { type, value: c.string(key) };
    default: {
      const never: never = type;
      throw new Error(String(never));
    }
  }
}

function readBool(c: FileCursor, key: string): boolean {
  const b = c.u8(key);
  if (b > 1) throw new BadFileError(c.path, `metadata ${key}: bool byte is ${b}, expected 0 or 1`);
  return b === 1;
}

function readArray(c: FileCursor, key: string, type: GgufScalarType, n: number): GgufArray {
  if (type === "string") {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(c.string(`${key}[${i}]`));
    return out;
  }
  if (type === "bool") {
    const out: boolean[] = [];
    for (let i = 0; i < n; i++) out.push(readBool(c, `${key}[${i}]`));
    return out;
  }
  const bytes = n * SCALAR_CODES[type].bytes;
  const raw = new Uint8Array(new ArrayBuffer(bytes));
  c.copy(raw, 0, bytes, key);
  const buffer = raw.buffer;
  switch (type) {
    case "u8": return raw;
    case "i8": return new Int8Array(buffer);
    case "u16": return new Uint16Array(buffer);
    case "i16": return new Int16Array(buffer);
    case "u32": return new Uint32Array(buffer);
    case "i32": return new Int32Array(buffer);
    case "f32": return new Float32Array(buffer);
    case "f64": return new Float64Array(buffer);
    case "u64": return new BigUint64Array(buffer);
    case "i64": return new BigInt64Array(buffer);
    default: {
      const never: never = type;
      throw new Error(String(never));
    }
  }
}
