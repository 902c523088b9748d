/**
 * A safetensors file already in memory (fetched by a web page) as a TensorSource, so the browser loads
 * models through the same `loadModelWeights` as Node. Float tensors only (F32, F16, BF16): what the
 * decoder's weights may be.
 */
import { BadFileError } from "../errors.js";
import { DTYPE_BYTES, viewAs, type Dtype } from "../formats/dtype.js";
import type { StoredTensor, TensorInfo } from "../formats/safetensors.js";
import type { TensorSource } from "../formats/tensor-source.js";

const DTYPES: Readonly<Record<string, Dtype>> = { F32: "f32", F16: "f16", BF16: "bf16" };

export class FetchedSafetensors implements TensorSource {
  readonly tensorNames: readonly string[];
  private readonly infos = new Map<string, TensorInfo>();
  private readonly dataStart: number;

  constructor(readonly dir: string, private readonly bytes: Uint8Array) {
    if (bytes.length < 8) throw new BadFileError(dir, "is too short to be a safetensors file");
    const headerBytes = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    if (8 + headerBytes > bytes.length) throw new BadFileError(dir, `header of ${headerBytes} bytes runs past the end of the file`);
    this.dataStart = 8 + headerBytes;
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, this.dataStart)));
    } catch (e) {
      throw new BadFileError(dir, `safetensors header is not JSON (${String(e)})`);
    }
    for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
      if (name === "__metadata__") continue;
      const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
      const d = DTYPES[dtype];
      if (!d) throw new BadFileError(dir, `tensor ${name} has dtype ${dtype}; only F32, F16 and BF16 load in the browser`);
      const byteLength = offsets[1] - offsets[0];
      if (byteLength !== shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[d] || this.dataStart + offsets[1] > bytes.length) {
        throw new BadFileError(dir, `tensor ${name}: data offsets [${offsets}] do not fit its shape [${shape}] or the file`);
      }
      this.infos.set(name, { name, dtype: d, shape, fileOffset: this.dataStart + offsets[0], byteLength });
    }
    this.tensorNames = [...this.infos.keys()];
  }

  get fileBytes(): number {
    return this.bytes.length;
  }

  has(name: string): boolean {
    return this.infos.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.infos.get(name);
    if (!info) throw new BadFileError(this.dir, `no tensor ${name}`);
    return info;
  }

  read(name: string): StoredTensor {
    const info = this.info(name);
    // A copy: the data in the file need not be aligned for its typed array.
    const copy = this.bytes.slice(info.fileOffset, info.fileOffset + info.byteLength);
    return { dtype: info.dtype, shape: info.shape, data: viewAs(info.dtype, copy) };
  }

  pathOf(): string {
    return this.dir;
  }

  close(): void {}
}
