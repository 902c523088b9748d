/**
 * Embedding tables too large to hold as one weight. Gemma 4 E2B's per-layer embedding table is
 * 262,144 × 8,960 values (4.7 GB in bf16, 5.6 GB for E4B): more bytes than one JavaScript byte array can
 * address (2³² in Node 20), than a WebGPU storage buffer binds (2 GiB on the H100's adapter), and than
 * wasm32 memory holds. The decoder only gathers rows of it, so it is loaded as consecutive row ranges, each
 * its own backend weight, and a lookup gathers from the parts that hold the ids.
 */
import type { Backend, Tensor, Weight } from "../backends/ops.js";

/** Tables above this many bytes are loaded in row parts of at most this size. */
export const MAX_TABLE_PART_BYTES = 1 << 30;

export interface RowParts {
  readonly kind: "row-parts";
  /** The whole table's shape [rows, width] and dtype. */
  readonly shape: readonly number[];
  readonly dtype: Weight["dtype"];
  /** Part i holds rows [i·rowsPerPart, (i + 1)·rowsPerPart) (the last one fewer). */
  readonly parts: readonly Weight[];
  readonly rowsPerPart: number;
}

/** A table the decoder gathers rows from: one weight, or row parts. */
export type EmbeddingTable = Weight | RowParts;

export function isRowParts(table: EmbeddingTable): table is RowParts {
  return (table as Partial<RowParts>).kind === "row-parts";
}

/** Rows `ids` of `table` times `scale` → [T, width]: backend.embed on each run of ids that share a part. */
export function embedRows(backend: Backend, table: EmbeddingTable, ids: Int32Array, scale: number): Tensor {
  if (!isRowParts(table)) return backend.embed(table, ids, scale);
  if (ids.length === 0) return backend.embed(table.parts[0]!, ids, scale);
  const rows = table.shape[0]!;
  const pieces: Tensor[] = [];
  let start = 0;
  while (start < ids.length) {
    const id = ids[start]!;
    if (!(Number.isInteger(id) && id >= 0 && id < rows)) throw new RangeError(`token id ${id} is outside the embedding table (0..${rows - 1})`);
    const part = Math.floor(id / table.rowsPerPart);
    let end = start + 1;
    while (end < ids.length && Math.floor(ids[end]! / table.rowsPerPart) === part && ids[end]! >= 0 && ids[end]! < rows) end++;
    const local = ids.slice(start, end).map((x) => x - part * table.rowsPerPart);
    pieces.push(backend.embed(table.parts[part]!, local, scale));
    start = end;
  }
  return pieces.length === 1 ? pieces[0]! : backend.concatRows(pieces);
}
