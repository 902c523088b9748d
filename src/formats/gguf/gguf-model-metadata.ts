/**
 * ModelConfig → llama.cpp's GGUF metadata for the gemma/gemma2/gemma3/gemma4 architectures, with the keys and
 * encodings its converter writes (conversion/gemma.py, base.py TextModel.set_gguf_parameters) and its loaders
 * read (src/models/gemma*.cpp), plus `{arch}.attention.scale` (llama.cpp's own key for the query scale, which
 * its Gemma loaders ignore) so that the exact query_pre_attn_scalar survives the round trip.
 */
import { UnsupportedError } from "../../errors.js";
import type { ModelConfig } from "../../model/model-config.js";
import { GGUF_ARCHITECTURES } from "./gguf-model-config.js";
import { gguf, type GgufValue } from "./gguf-value.js";

/** llama.cpp's LLAMA_FTYPE numbers (general.file_type) for the mixes we write. */
export const LLAMA_FILE_TYPES = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q4_K_M: 15, Q5_K_M: 17, Q6_K: 18, BF16: 32,
} as const;
export type LlamaFileType = keyof typeof LLAMA_FILE_TYPES;

const ARCH_OF_FAMILY = Object.fromEntries(Object.entries(GGUF_ARCHITECTURES).map(([arch, v]) => [v.family, arch])) as Record<ModelConfig["family"], string>;

export function ggufArchitectureOf(config: ModelConfig): string {
  return ARCH_OF_FAMILY[config.family];
}

export interface MetadataOptions {
  readonly name?: string;
  readonly fileType: LlamaFileType;
}

export function ggufMetadataFromConfig(config: ModelConfig, options: MetadataOptions): [string, GgufValue][] {
  const arch = ggufArchitectureOf(config);
  const k = (key: string): string => `${arch}.${key}`;
  const L = config.numLayers;
  const layers = config.layers;
  const first = layers[0]!;
  const out: [string, GgufValue][] = [
    ["general.architecture", gguf.string(arch)],
    ["general.type", gguf.string("model")],
    ...(options.name ? [["general.name", gguf.string(options.name)] as [string, GgufValue]] : []),
    ["general.file_type", gguf.u32(LLAMA_FILE_TYPES[options.fileType])],
    ["general.quantization_version", gguf.u32(2)],
    [k("vocab_size"), gguf.u32(config.vocabSize)],
    [k("context_length"), gguf.u32(config.maxPositions)],
    [k("embedding_length"), gguf.u32(config.hiddenDim)],
    [k("block_count"), gguf.u32(L)],
    [k("attention.head_count"), gguf.u32(config.numHeads)],
    [k("attention.layer_norm_rms_epsilon"), gguf.f32(config.rmsNormEps)],
    // Special token ids live with the tokenizer keys; written even without a vocabulary so they round-trip.
    ["tokenizer.ggml.bos_token_id", gguf.u32(config.bosTokenId)],
    ["tokenizer.ggml.eos_token_id", gguf.u32(config.eosTokenIds[0] ?? 1)],
    ...(config.eosTokenIds.length > 1 ? [["tokenizer.ggml.eot_token_id", gguf.u32(config.eosTokenIds[1]!)] as [string, GgufValue]] : []),
    ["tokenizer.ggml.padding_token_id", gguf.u32(config.padTokenId)],
  ];
  const uniform = (values: number[]): GgufValue => (new Set(values).size === 1 ? gguf.u32(values[0]!) : gguf.u32s(Uint32Array.from(values)));
  out.push([k("feed_forward_length"), uniform(layers.map((l) => l.intermediateDim))]);
  out.push([k("attention.head_count_kv"), uniform(layers.map((l) => l.numKvHeads))]);
  if (config.activation === "gelu_exact") out.push([k("hidden_activation"), gguf.string("gelu")]);

  const sliding = layers.filter((l) => l.kind === "sliding");
  const full = layers.filter((l) => l.kind === "full");
  if (sliding.length > 0) out.push([k("attention.sliding_window"), gguf.u32(sliding[0]!.slidingWindow!)]);
  if (config.finalLogitSoftcap !== null) out.push([k("final_logit_softcapping"), gguf.f32(config.finalLogitSoftcap)]);

  if (config.family !== "gemma4") {
    if (new Set(layers.map((l) => l.headDim)).size !== 1) throw new UnsupportedError(`${arch}: per-layer head dims cannot be written to GGUF`);
    out.push([k("attention.key_length"), gguf.u32(first.headDim)], [k("attention.value_length"), gguf.u32(first.headDim)]);
    const globalRope = (full[0] ?? first).rope;
    out.push([k("rope.freq_base"), gguf.f32(globalRope.theta)]);
    if (config.family === "gemma2" || config.family === "gemma3") {
      out.push([k("attention.scale"), gguf.f32(first.queryScale)]);
      out.push([k("attention.sliding_window_pattern"), swaPattern(config)]);
    }
    if (config.family === "gemma2" && config.attnLogitSoftcap !== null) out.push([k("attn_logit_softcapping"), gguf.f32(config.attnLogitSoftcap)]);
    if (config.family === "gemma3") {
      if (sliding.length > 0) out.push([k("rope.freq_base_swa"), gguf.f32(sliding[0]!.rope.theta)]);
      if (globalRope.type === "linear" && globalRope.factor !== 1) {
        out.push([k("rope.scaling.type"), gguf.string("linear")], [k("rope.scaling.factor"), gguf.f32(globalRope.factor)]);
      }
    }
    return out;
  }

  // Gemma 4 (conversion/gemma.py Gemma4Model.set_gguf_parameters).
  const fullHead = (full[0] ?? first).headDim;
  const swaHead = (sliding[0] ?? first).headDim;
  const shared = layers.filter((l) => l.kvSharedFrom !== null).length;
  out.push(
    [k("attention.key_length"), gguf.u32(fullHead)], [k("attention.value_length"), gguf.u32(fullHead)],
    [k("attention.key_length_swa"), gguf.u32(swaHead)], [k("attention.value_length_swa"), gguf.u32(swaHead)],
    [k("attention.shared_kv_layers"), gguf.u32(shared)],
    [k("embedding_length_per_layer_input"), gguf.u32(config.perLayerEmbedding?.dim ?? 0)],
    [k("attention.sliding_window_pattern"), gguf.bools(layers.map((l) => l.kind === "sliding"))],
    [k("rope.dimension_count"), gguf.u32(fullHead)],
    [k("rope.dimension_count_swa"), gguf.u32(swaHead)],
    [k("rope.freq_base"), gguf.f32((full[0] ?? first).rope.theta)],
    [k("rope.freq_base_swa"), gguf.f32((sliding[0] ?? first).rope.theta)],
  );
  if (config.moe) {
    out.push([k("expert_count"), gguf.u32(config.moe.numExperts)], [k("expert_used_count"), gguf.u32(config.moe.topK)],
      [k("expert_feed_forward_length"), gguf.u32(config.moe.intermediateDim)]);
  }
  return out;
}

/** Gemma 2/3 sliding pattern as llama.cpp reads it: a period n (layer il slides iff il % n < n − 1) when one fits. */
function swaPattern(config: ModelConfig): GgufValue {
  const kinds = config.layers.map((l) => l.kind === "sliding");
  for (let n = 1; n <= kinds.length + 1; n++) {
    if (kinds.every((s, il) => s === (il % n < n - 1))) return gguf.u32(n);
  }
  return gguf.bools(kinds); // llama.cpp ignores an array here; our reader takes it
}

/** Gemma 4's rope_freqs: for the full-attention head dim d, R = ⌊p·d/2⌋ ones then d/2 − R entries of 1e30. */
export function ropeFreqsFactors(config: ModelConfig): Float32Array | null {
  const full = config.layers.find((l) => l.kind === "full");
  if (config.family !== "gemma4" || !full) return null;
  const half = full.headDim / 2;
  const rotated = full.rope.type === "proportional" ? Math.floor((full.rope.partialRotaryFactor * full.headDim) / 2) : half;
  return Float32Array.from({ length: half }, (_, j) => (j < rotated ? 1 : 1e30));
}
