/**
 * GGUF v3 writer. The file goes to `path.tmp-<pid>` first and is renamed into place only when complete, so a
 * crash never leaves a half-written file under the real name. Tensor data are laid out in the given order,
 * each padded to the alignment (as gguf-py and ggml write them), and produced one at a time (bounded memory).
 */
import { writeThroughTemp } from "../atomic-write.js";
import { writeAll } from "../file-io.js";
import { ggmlType, type GgmlTypeName } from "../quant/ggml-type.js";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_MAX_NAME_BYTES } from "./gguf-file.js";
import { GGUF_TYPE, SCALAR_CODES, type GgufScalarType, type GgufValue } from "./gguf-value.js";

export interface GgufTensorToWrite {
  readonly name: string;
  readonly type: GgmlTypeName;
  /** PyTorch order ([rows, columns]); written reversed, as ggml's dims. */
  readonly shape: readonly number[];
  /** The stored bytes, or a function producing them when the writer reaches this tensor — whole, or as
   *  consecutive pieces (a tensor above 4 GiB cannot be one JavaScript byte array). */
  readonly data: Uint8Array | (() => Uint8Array | Iterable<Uint8Array>);
}

export interface GgufToWrite {
  readonly metadata: ReadonlyMap<string, GgufValue> | readonly (readonly [string, GgufValue])[];
  readonly tensors: readonly GgufTensorToWrite[];
  /** Power of two; written as general.alignment when it is not the default 32. */
  readonly alignment?: number;
}


class ByteSink {
  private parts: Uint8Array[] = [];
  private current = new Uint8Array(1 << 16);
  private view = new DataView(this.current.buffer);
  private used = 0;
  length = 0;

  private room(bytes: number): number {
    if (this.used + bytes > this.current.length) {
      this.parts.push(this.current.subarray(0, this.used));
      this.current = new Uint8Array(Math.max(1 << 16, bytes));
      this.view = new DataView(this.current.buffer);
      this.used = 0;
    }
    const at = this.used;
    this.used += bytes;
    this.length += bytes;
    return at;
  }
  // room() may swap in a new buffer, so it runs before `this.current`/`this.view` are read.
  u8(v: number): void { const at = this.room(1); this.current[at] = v; }
  u32(v: number): void { const at = this.room(4); this.view.setUint32(at, v, true); }
  u64(v: number | bigint): void { const at = this.room(8); this.view.setBigUint64(at, BigInt(v), true); }
  bytes(b: Uint8Array): void { const at = this.room(b.length); this.current.set(b, at); }
  string(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  finish(): Uint8Array[] {
    this.parts.push(this.current.subarray(0, this.used));
    const out = this.parts;
    this.parts = [];
    return out;
  }
}

function writeScalar(sink: ByteSink, type: GgufScalarType, v: number | bigint | boolean | string): void {
  const tmp = new DataView(new ArrayBuffer(8));
  switch (type) {
    case "u8": sink.u8(Number(v) & 0xff); return;
    case "i8": sink.u8(Number(v) & 0xff); return;
    case "u16": case "i16": tmp.setUint16(0, Number(v) & 0xffff, true); sink.bytes(new Uint8Array(tmp.buffer, 0, 2)); return;
    case "u32": sink.u32(Number(v) >>> 0); return;
    case "i32": tmp.setInt32(0, Number(v), true); sink.bytes(new Uint8Array(tmp.buffer, 0, 4)); return;
    case "f32": tmp.setFloat32(0, Number(v), true); sink.bytes(new Uint8Array(tmp.buffer, 0, 4)); return;
    case "f64": tmp.setFloat64(0, Number(v), true); sink.bytes(new Uint8Array(tmp.buffer, 0, 8)); return;
    case "u64": sink.u64(BigInt.asUintN(64, BigInt(v as bigint | number))); return;
    case "i64": tmp.setBigInt64(0, BigInt(v as bigint | number), true); sink.bytes(new Uint8Array(tmp.buffer, 0, 8)); return;
    case "bool": sink.u8(v ? 1 : 0); return;
    case "string": sink.string(String(v)); return;
    default: {
      const never: never = type;
      throw new Error(String(never));
    }
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  if (value.type === "array") {
    sink.u32(GGUF_TYPE.ARRAY);
    sink.u32(SCALAR_CODES[value.itemType].code);
    sink.u64(value.value.length);
    const items = value.value as ArrayLike<number | bigint | boolean | string>;
    for (let i = 0; i < items.length; i++) writeScalar(sink, value.itemType, items[i]!);
    return;
  }
  sink.u32(SCALAR_CODES[value.type].code);
  writeScalar(sink, value.type, value.value);
}

const pad = (n: number, alignment: number): number => (alignment - (n % alignment)) % alignment;

export function writeGguf(path: string, file: GgufToWrite): void {
  const alignment = file.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  if (alignment <= 0 || (alignment & (alignment - 1)) !== 0) throw new RangeError(`alignment ${alignment} is not a power of two`);
  const metadata = new Map(file.metadata instanceof Map ? file.metadata : (file.metadata as readonly (readonly [string, GgufValue])[]));
  if (alignment !== GGUF_DEFAULT_ALIGNMENT) metadata.set("general.alignment", { type: "u32", value: alignment });
  else if (metadata.get("general.alignment")?.value === GGUF_DEFAULT_ALIGNMENT) metadata.delete("general.alignment");

  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(3);
  sink.u64(file.tensors.length);
  sink.u64(metadata.size);
  for (const [key, value] of metadata) {
    sink.string(key);
    writeValue(sink, value);
  }
  const names = new Set<string>();
  let offset = 0;
  for (const t of file.tensors) {
    if (names.has(t.name)) throw new Error(`duplicate tensor name ${t.name}`);
    if (Buffer.byteLength(t.name) >= GGUF_MAX_NAME_BYTES || t.name.length === 0) throw new Error(`tensor name ${JSON.stringify(t.name)} must be 1..${GGUF_MAX_NAME_BYTES - 1} bytes`);
    names.add(t.name);
    const { blockElems, blockBytes, id } = ggmlType(t.type);
    const dims = [...t.shape].reverse();
    const elems = dims.reduce((a, b) => a * b, 1);
    if ((dims[0] ?? 1) % blockElems !== 0) throw new Error(`tensor ${t.name}: rows of ${dims[0]} values are not whole ${t.type} blocks`);
    sink.string(t.name);
    sink.u32(dims.length);
    for (const d of dims) sink.u64(d);
    sink.u32(id);
    sink.u64(offset);
    const bytes = (elems / blockElems) * blockBytes;
    offset += bytes + pad(bytes, alignment);
  }
  if (file.tensors.length > 0) for (let i = pad(sink.length, alignment); i > 0; i--) sink.u8(0);
  const header = sink.finish();

  writeThroughTemp(path, (fd) => {
    for (const part of header) writeAll(fd, part);
    const zeros = new Uint8Array(alignment);
    for (const t of file.tensors) {
      const data = typeof t.data === "function" ? t.data() : t.data;
      const { blockElems, blockBytes } = ggmlType(t.type);
      const expected = (t.shape.reduce((a, b) => a * b, 1) / blockElems) * blockBytes;
      let written = 0;
      for (const piece of data instanceof Uint8Array ? [data] : data) {
        written += piece.byteLength;
        if (written > expected) break;
        writeAll(fd, piece);
      }
      if (written !== expected) throw new Error(`tensor ${t.name}: ${written > expected ? "more than " : ""}${written} bytes of data for a ${expected}-byte ${t.type} tensor`);
      writeAll(fd, zeros.subarray(0, pad(written, alignment)));
    }
  });
}
