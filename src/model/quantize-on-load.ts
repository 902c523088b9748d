/**
 * Quantizing a float checkpoint while loading it (`loadModel(dir, { quant: "q8_0" })`, `--quant Q8_0`):
 * the matrices the decoder multiplies by (projections, MLPs, experts, embeddings and head) are encoded with
 * ggml's reference quantizers, row block by row block, as `llama-quantize` would; norms, scalars and the
 * MoE router stay as stored. Rows that are not whole blocks of the chosen format get llama.cpp's fallback
 * (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0; legacy formats then stay float).
 */
import type { HostWeight, QuantDtype } from "../backends/ops.js";
import { ggmlTypeOf } from "../backends/weight-dtype.js";
import { toFloat32, type AnyDtypeArray, type Dtype } from "../formats/dtype.js";
import { ggmlType } from "../formats/quant/ggml-type.js";
import { quantizeRowInto } from "../formats/quant/quantize-row.js";

/** Slots (model-weights paths, without the layer prefix) whose weights are quantized. */
const QUANTIZED_SLOTS = new Set([
  "embedTokens", "lmHead", "perLayer.embed", "perLayer.modelProjection",
  "attention.q", "attention.k", "attention.v", "attention.o", "mlp.gate", "mlp.up", "mlp.down",
  "moe.gateUp", "moe.down", "perLayerInput.gate", "perLayerInput.projection",
]);

const FALLBACK: Partial<Record<QuantDtype, QuantDtype>> = { q4_k: "q5_0", q5_k: "q5_1", q6_k: "q8_0" };

/** Whether the weight in `slot` (e.g. "layers.3.mlp.up") is one that quantization applies to. */
export function isQuantizedSlot(slot: string): boolean {
  return QUANTIZED_SLOTS.has(slot.replace(/^layers\.\d+\./, ""));
}

/** The format a matrix with rows of `cols` values gets, or null to keep it as stored. */
export function quantFormatFor(dtype: QuantDtype, cols: number): QuantDtype | null {
  for (let d: QuantDtype | undefined = dtype; d; d = FALLBACK[d]) {
    if (cols % ggmlType(ggmlTypeOf(d)).blockElems === 0) return d;
  }
  return null;
}

const ROWS_PER_STEP = 256;

/** Encodes a float tensor [.., cols] as `dtype` (whole rows), converting a few rows at a time. */
export function quantizeTensor(dtype: QuantDtype, stored: { dtype: Dtype; shape: readonly number[]; data: AnyDtypeArray }): HostWeight {
  const cols = stored.shape[stored.shape.length - 1]!;
  const rows = stored.data.length / cols;
  const type = ggmlTypeOf(dtype);
  const { blockElems, blockBytes } = ggmlType(type);
  const rowBytes = (cols / blockElems) * blockBytes;
  const out = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r += ROWS_PER_STEP) {
    const n = Math.min(ROWS_PER_STEP, rows - r);
    const values = toFloat32(stored.dtype, stored.data.subarray(r * cols, (r + n) * cols) as AnyDtypeArray);
    for (let i = 0; i < n; i++) {
      quantizeRowInto(type, values.subarray(i * cols, (i + 1) * cols), out.subarray((r + i) * rowBytes, (r + i + 1) * rowBytes));
    }
  }
  return { dtype, shape: stored.shape, data: out };
}
