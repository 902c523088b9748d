/**
 * The typed, frozen description of a Gemma decoder. Every Gemma generation is a value of this type; the
 * decoder branches only on these fields, never on a family name (style habit 1). `formats/hf-config.ts`
 * builds it from config.json; nothing past that reads raw JSON keys.
 */
import type { Activation, NormForm } from "../backends/ops.js";

export type LayerKind = "sliding" | "full";

export type Family = "gemma" | "gemma2" | "gemma3" | "gemma4";

export interface RopeConfig {
  /** default: θ^(−2j/d); linear: default ÷ factor; proportional: only the first ⌊p·d/2⌋ pairs rotate (spec §4.4). */
  readonly type: "default" | "linear" | "proportional";
  readonly theta: number;
  readonly factor: number;
  readonly partialRotaryFactor: number;
}

export interface LayerConfig {
  readonly index: number;
  readonly kind: LayerKind;
  readonly headDim: number;
  readonly numKvHeads: number;
  /** W for sliding layers (a query sees W keys, itself included); null for full attention. */
  readonly slidingWindow: number | null;
  readonly rope: RopeConfig;
  /** Multiplies q·k before softmax. */
  readonly queryScale: number;
  /** Full layers of Gemma 4 26B/31B: V is the raw k_proj output (no v_proj). */
  readonly kEqV: boolean;
  /** Gemma 4 KV sharing: the earlier layer whose keys/values this layer reads (it owns no cache). */
  readonly kvSharedFrom: number | null;
  readonly intermediateDim: number;
}

export interface PerLayerEmbeddingConfig {
  /** P: width of each layer's slice. */
  readonly dim: number;
  readonly vocabSize: number;
}

export interface MoeConfig {
  readonly numExperts: number;
  readonly topK: number;
  readonly intermediateDim: number;
}

export interface ModelConfig {
  readonly family: Family;
  /** config.json `model_type` as written (e.g. "gemma4" for a multimodal checkpoint). */
  readonly modelType: string;
  readonly architecture: string;
  readonly vocabSize: number;
  readonly hiddenDim: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly normForm: NormForm;
  readonly rmsNormEps: number;
  readonly activation: Activation;
  /** Gemma 3/4: RMSNorm of q and k over head_dim before RoPE. */
  readonly qkNorm: boolean;
  /** Gemma 4: weightless RMSNorm of v. */
  readonly vNorm: boolean;
  /** Gemma 2–4: post-attention norm and pre/post feed-forward norms (Gemma 1 has only a pre-MLP norm). */
  readonly sandwichNorms: boolean;
  /** Gemma 4: every layer ends with h · layer_scalar. */
  readonly layerScalar: boolean;
  readonly attnLogitSoftcap: number | null;
  readonly finalLogitSoftcap: number | null;
  /** sqrt(hidden) as the float32 the reference computes with (spec §1.2). */
  readonly embedScale: number;
  readonly perLayerEmbedding: PerLayerEmbeddingConfig | null;
  readonly moe: MoeConfig | null;
  readonly tieWordEmbeddings: boolean;
  readonly layers: readonly LayerConfig[];
  readonly bosTokenId: number;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number;
  readonly maxPositions: number;
}

/** KV-cache bytes needed per token: one K and one V row for every layer that owns a cache. */
export function kvBytesPerToken(config: ModelConfig, bytesPerValue: number): number {
  let total = 0;
  for (const layer of config.layers) {
    if (layer.kvSharedFrom === null) total += 2 * layer.numKvHeads * layer.headDim * bytesPerValue;
  }
  return total;
}
