/**
 * The decoder's weights, by role, and their loading from a safetensors checkpoint through the weight table.
 * Tensors are read one at a time and handed to the backend in their stored dtype, so peak memory stays
 * close to the checkpoint's size.
 */
import type { Backend, HostWeight, QuantDtype, Weight } from "../backends/ops.js";
import { BadFileError, UnsupportedError } from "../errors.js";
import { isFloatDtype } from "../formats/dtype.js";
import { dequantizeRow } from "../formats/quant/quantize-row.js";
import type { TensorSource } from "../formats/tensor-source.js";
import type { StoredTensor, TensorInfo } from "../formats/safetensors.js";
import { isGgmlTypeName, type GgmlTypeName } from "../formats/quant/ggml-type.js";
import { QUANT_DTYPES, quantDtypeOf } from "../backends/weight-dtype.js";
import type { ModelConfig } from "./model-config.js";
import { isQuantizedSlot, quantFormatFor, quantizeTensor } from "./quantize-on-load.js";
import { MAX_TABLE_PART_BYTES, type EmbeddingTable, type RowParts } from "./row-parts.js";
import { LM_HEAD_NAMES, SKIPPED_PREFIXES, TEXT_PREFIXES, weightSpecs } from "./weight-table.js";

/** Slots the decoder only gathers rows from (never multiplies by), so they may be loaded in row parts. */
const GATHER_ONLY_SLOTS: ReadonlySet<string> = new Set(["perLayer.embed"]);

export interface AttentionWeights {
  readonly q: Weight;
  readonly o: Weight;
  readonly qNorm: Weight | null;
  /** null on KV-shared layers. */
  readonly k: Weight | null;
  /** null on KV-shared layers and k = v layers. */
  readonly v: Weight | null;
  readonly kNorm: Weight | null;
}

export interface MlpWeights {
  readonly gate: Weight;
  readonly up: Weight;
  readonly down: Weight;
}

export interface MoeWeights {
  readonly routerProj: Weight;
  readonly routerScale: Weight;
  readonly perExpertScale: Weight;
  readonly gateUp: Weight;
  readonly down: Weight;
  readonly preFeedforwardNorm2: Weight;
  readonly postFeedforwardNorm1: Weight;
  readonly postFeedforwardNorm2: Weight;
}

export interface PerLayerInputWeights {
  readonly gate: Weight;
  readonly projection: Weight;
  readonly postNorm: Weight;
}

export interface LayerWeights {
  readonly inputNorm: Weight;
  readonly postAttentionNorm: Weight | null;
  readonly preFeedforwardNorm: Weight;
  readonly postFeedforwardNorm: Weight | null;
  readonly attention: AttentionWeights;
  readonly mlp: MlpWeights;
  readonly moe: MoeWeights | null;
  readonly layerScalar: Weight | null;
  readonly perLayerInput: PerLayerInputWeights | null;
}

export interface PerLayerEmbeddingWeights {
  /** [vocab, layers · dim]; row parts when larger than one weight may be (row-parts.ts). */
  readonly embed: EmbeddingTable;
  readonly modelProjection: Weight;
  readonly projectionNorm: Weight;
}

export interface ModelWeights {
  readonly embedTokens: Weight;
  readonly finalNorm: Weight;
  /** The output head: embedTokens itself when tied. */
  readonly lmHead: Weight;
  readonly perLayer: PerLayerEmbeddingWeights | null;
  readonly layers: readonly LayerWeights[];
}

export interface CheckpointLayout {
  readonly prefix: string;
  /** Tensors of the checkpoint the text decoder does not use, by reason. */
  readonly skippedMultimodal: readonly string[];
  readonly unused: readonly string[];
}

/** Finds the prefix the text decoder's tensors live under. */
export function detectPrefix(checkpoint: TensorSource): string {
  for (const prefix of TEXT_PREFIXES) if (checkpoint.has(`${prefix}embed_tokens.weight`)) return prefix;
  throw new BadFileError(checkpoint.dir, `no embed_tokens.weight under any known prefix (${TEXT_PREFIXES.join(", ")})`);
}

export function describeLayout(config: ModelConfig, checkpoint: TensorSource): CheckpointLayout {
  const prefix = detectPrefix(checkpoint);
  const used = new Set(weightSpecs(config).map((s) => s.name.startsWith("lm_head") ? s.name : prefix + s.name));
  const skippedMultimodal: string[] = [];
  const unused: string[] = [];
  for (const name of checkpoint.tensorNames) {
    if (used.has(name)) continue;
    if (SKIPPED_PREFIXES.some((p) => name.startsWith(p))) skippedMultimodal.push(name);
    else if (!(LM_HEAD_NAMES as readonly string[]).includes(name)) unused.push(name);
  }
  return { prefix, skippedMultimodal, unused };
}

export interface LoadProgress {
  readonly loaded: number;
  readonly total: number;
  readonly name: string;
}

export interface LoadWeightsOptions {
  /** Quantize float matrices to this format while loading (quantize-on-load.ts). */
  readonly quant?: QuantDtype;
  /** Gather-only tables larger than this are loaded in row parts of at most this size (default 1 GiB). */
  readonly maxTablePartBytes?: number;
}

export function loadModelWeights(
  config: ModelConfig,
  checkpoint: TensorSource,
  backend: Backend,
  onProgress?: (p: LoadProgress) => void,
  options: LoadWeightsOptions = {},
): ModelWeights {
  const prefix = detectPrefix(checkpoint);
  const specs = weightSpecs(config);
  // Check every tensor's presence, dtype and shape before reading any bytes.
  const resolved = specs.map((spec) => {
    const name = spec.slot === "lmHead" ? LM_HEAD_NAMES.find((n) => checkpoint.has(n)) ?? spec.name : prefix + spec.name;
    if (!checkpoint.has(name)) throw new BadFileError(checkpoint.dir, `missing tensor ${name} (the config expects it)`);
    const info = checkpoint.info(name);
    const quantized = quantizedDtypeOf(checkpoint, info);
    if (!isFloatDtype(info.dtype) && !quantized) {
      throw new UnsupportedError(`${checkpoint.dir}: tensor ${name} has dtype ${info.dtype}; weights must be F32, F16, BF16 or a block format (${QUANT_DTYPES.join(", ")})`);
    }
    if (info.shape.length !== spec.shape.length || info.shape.some((d, i) => d !== spec.shape[i])) {
      throw new BadFileError(checkpoint.pathOf(name), `tensor ${name} has shape [${info.shape.join(", ")}] but the config implies [${spec.shape.join(", ")}]`);
    }
    return { spec, name, quantized };
  });

  const slots = new Map<string, Weight | RowParts>();
  const maxPartBytes = options.maxTablePartBytes ?? MAX_TABLE_PART_BYTES;
  let loaded = 0;
  for (const { spec, name, quantized } of resolved) {
    const info = checkpoint.info(name);
    const rows = info.shape[0] ?? 1;
    if (GATHER_ONLY_SLOTS.has(spec.slot) && info.byteLength > maxPartBytes && rows > 1) {
      const rowsPerPart = Math.max(1, Math.floor(maxPartBytes / (info.byteLength / rows)));
      const parts: Weight[] = [];
      let whole: StoredTensor | null = null; // sources that cannot read rows are read once and sliced
      for (let start = 0; start < rows; start += rowsPerPart) {
        const count = Math.min(rowsPerPart, rows - start);
        if (quantized && hasBlockRows(checkpoint)) {
          parts.push(uploadBlocks(backend, quantized, checkpoint.readBlockRows(name, start, count)));
          continue;
        }
        let part: StoredTensor;
        if (checkpoint.readRows) part = checkpoint.readRows(name, start, count);
        else {
          whole ??= checkpoint.read(name);
          const width = whole.data.length / rows;
          part = { dtype: whole.dtype, shape: [count, ...whole.shape.slice(1)], data: whole.data.subarray(start * width, (start + count) * width) as StoredTensor["data"] };
        }
        parts.push(uploadFloat(backend, spec.slot, part, options));
      }
      slots.set(spec.slot, { kind: "row-parts", shape: info.shape, dtype: (parts[0] as Weight).dtype, parts, rowsPerPart });
      onProgress?.({ loaded: ++loaded, total: resolved.length, name });
      continue;
    }
    if (quantized && hasBlocks(checkpoint)) {
      // Block-quantized weights (GGUF) go to the backend as their blocks.
      const blocks = checkpoint.readBlocks(name);
      slots.set(spec.slot, uploadBlocks(backend, quantized, blocks));
      onProgress?.({ loaded: ++loaded, total: resolved.length, name });
      continue;
    }
    slots.set(spec.slot, uploadFloat(backend, spec.slot, checkpoint.read(name), options));
    onProgress?.({ loaded: ++loaded, total: resolved.length, name });
  }
  return assemble(config, slots);
}

/** A float tensor to the backend in its stored dtype, or quantized first when asked (quantize-on-load.ts). */
function uploadFloat(backend: Backend, slot: string, stored: StoredTensor, options: LoadWeightsOptions): Weight {
  const dtype = stored.dtype;
  if (dtype !== "f32" && dtype !== "f16" && dtype !== "bf16") throw new Error("unreachable: dtype checked above");
  let host: HostWeight = { dtype, shape: stored.shape, data: stored.data as Float32Array | Uint16Array };
  const quant = options.quant && isQuantizedSlot(slot) ? quantFormatFor(options.quant, stored.shape[stored.shape.length - 1]!) : null;
  if (quant) host = quantizeTensor(quant, stored);
  return backend.uploadWeight(host);
}

/**
 * Hands block-quantized weights to the backend as they are; a backend without kernels for that block format
 * (UnsupportedError) gets the weights expanded to float32 instead, so every GGUF mix loads everywhere.
 */
function uploadBlocks(backend: Backend, dtype: QuantDtype, blocks: Blocks): Weight {
  try {
    return backend.uploadWeight({ dtype, shape: blocks.shape, data: blocks.bytes });
  } catch (e) {
    if (!(e instanceof UnsupportedError)) throw e;
    return backend.uploadWeight({ dtype: "f32", shape: blocks.shape, data: dequantizeRow(blocks.type, blocks.bytes) });
  }
}

type Blocks = { readonly type: GgmlTypeName; readonly shape: readonly number[]; readonly bytes: Uint8Array };

/** A tensor source that can hand out quantized tensors as their ggml blocks (GgufModel). */
interface BlockSource {
  readBlocks(name: string): Blocks;
}

interface BlockRowSource {
  readBlockRows(name: string, start: number, count: number): Blocks;
}

function hasBlocks(source: TensorSource): source is TensorSource & BlockSource {
  return typeof (source as Partial<BlockSource>).readBlocks === "function";
}

function hasBlockRows(source: TensorSource): source is TensorSource & BlockRowSource {
  return typeof (source as Partial<BlockRowSource>).readBlockRows === "function";
}

/** The weight dtype of a tensor stored in a block format the backends take, or null. */
function quantizedDtypeOf(source: TensorSource, info: TensorInfo): QuantDtype | null {
  if (!hasBlocks(source) || isFloatDtype(info.dtype)) return null;
  const type = (info as TensorInfo & { ggmlType?: unknown }).ggmlType;
  return typeof type === "string" && isGgmlTypeName(type) ? quantDtypeOf(type) : null;
}

function assemble(config: ModelConfig, slots: ReadonlyMap<string, Weight | RowParts>): ModelWeights {
  const table = (slot: string): EmbeddingTable => {
    const w = slots.get(slot);
    if (!w) throw new Error(`weight slot ${slot} was not loaded`);
    return w;
  };
  const get = (slot: string): Weight => {
    const w = table(slot);
    if ("kind" in w) throw new Error(`weight slot ${slot} was loaded in row parts`);
    return w;
  };
  const opt = (slot: string): Weight | null => (slots.has(slot) ? get(slot) : null);
  const embedTokens = get("embedTokens");
  const layers = config.layers.map((layer): LayerWeights => {
    const s = `layers.${layer.index}.`;
    return {
      inputNorm: get(`${s}inputNorm`),
      postAttentionNorm: opt(`${s}postAttentionNorm`),
      preFeedforwardNorm: get(`${s}preFeedforwardNorm`),
      postFeedforwardNorm: opt(`${s}postFeedforwardNorm`),
      attention: {
        q: get(`${s}attention.q`), o: get(`${s}attention.o`), qNorm: opt(`${s}attention.qNorm`),
        k: opt(`${s}attention.k`), v: opt(`${s}attention.v`), kNorm: opt(`${s}attention.kNorm`),
      },
      mlp: { gate: get(`${s}mlp.gate`), up: get(`${s}mlp.up`), down: get(`${s}mlp.down`) },
      moe: config.moe ? {
        routerProj: get(`${s}moe.routerProj`), routerScale: get(`${s}moe.routerScale`), perExpertScale: get(`${s}moe.perExpertScale`),
        gateUp: get(`${s}moe.gateUp`), down: get(`${s}moe.down`), preFeedforwardNorm2: get(`${s}moe.preFeedforwardNorm2`),
        postFeedforwardNorm1: get(`${s}moe.postFeedforwardNorm1`), postFeedforwardNorm2: get(`${s}moe.postFeedforwardNorm2`),
      } : null,
      layerScalar: opt(`${s}layerScalar`),
      perLayerInput: config.perLayerEmbedding ? {
        gate: get(`${s}perLayerInput.gate`), projection: get(`${s}perLayerInput.projection`), postNorm: get(`${s}perLayerInput.postNorm`),
      } : null,
    };
  });
  return {
    embedTokens,
    finalNorm: get("finalNorm"),
    lmHead: opt("lmHead") ?? embedTokens,
    perLayer: config.perLayerEmbedding ? {
      embed: table("perLayer.embed"), modelProjection: get("perLayer.modelProjection"), projectionNorm: get("perLayer.projectionNorm"),
    } : null,
    layers,
  };
}

/** Every distinct weight, e.g. to release them all. */
export function listWeights(weights: ModelWeights): Weight[] {
  const seen = new Set<Weight>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== "object") return;
    if ("dtype" in value && "shape" in value && !("kind" in value && value.kind === "row-parts")) {
      seen.add(value as Weight);
      return;
    }
    for (const v of Object.values(value)) visit(v);
  };
  visit(weights);
  return [...seen];
}
