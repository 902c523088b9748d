/**
 * GGUF metadata (llama.cpp's keys for the gemma, gemma2, gemma3 and gemma4 architectures) → ModelConfig.
 *
 * The metadata is turned into the config.json a Hugging Face checkpoint of the same model would carry and
 * handed to parseHfConfig, so GGUF models go through the same defaults and validation as safetensors ones.
 * Where llama.cpp keeps a fact in tensors rather than keys, the tensors decide: the vocabulary size
 * (token_embd rows), tied embeddings (no output.weight), Gemma 4's k = v layers (no attn_v on a full layer),
 * MoE (ffn_gate_inp) and the partial rotary factor of proportional RoPE (the rope_freqs factors: 1 for
 * rotated pairs, 1e30 for pairs left alone; llama.cpp's encoding of HF's zero frequencies).
 */
import { BadFileError, UnsupportedError } from "../../errors.js";
import type { Family, ModelConfig } from "../../model/model-config.js";
import { parseHfConfig } from "../hf-config.js";
import { JsonFields } from "../json-fields.js";
import { dequantizeRow } from "../quant/quantize-row.js";
import type { GgufFile } from "./gguf-file.js";
import { ROPE_FREQS_GGUF } from "./gemma-tensor-names.js";

export const GGUF_ARCHITECTURES: Readonly<Record<string, { family: Family; modelType: string; hfClass: string }>> = {
  gemma: { family: "gemma", modelType: "gemma", hfClass: "GemmaForCausalLM" },
  gemma2: { family: "gemma2", modelType: "gemma2", hfClass: "Gemma2ForCausalLM" },
  gemma3: { family: "gemma3", modelType: "gemma3_text", hfClass: "Gemma3ForCausalLM" },
  gemma4: { family: "gemma4", modelType: "gemma4_text", hfClass: "Gemma4ForCausalLM" },
};

/** Rope factors at or above this mark a pair llama.cpp leaves unrotated (its converter writes 1e30). */
const UNROTATED_FACTOR = 1e29;

export function familyOfGguf(file: GgufFile): Family {
  const arch = file.metadata.string("general.architecture");
  const known = GGUF_ARCHITECTURES[arch];
  if (!known) throw new UnsupportedError(`${file.path}: general.architecture ${JSON.stringify(arch)} is not a Gemma text model (expected ${Object.keys(GGUF_ARCHITECTURES).join(", ")})`);
  return known.family;
}

/** The config.json (as an object) that describes the same model as this GGUF's metadata and tensors. */
export function hfConfigFromGguf(file: GgufFile): Record<string, unknown> {
  const m = file.metadata;
  const arch = m.string("general.architecture");
  const family = familyOfGguf(file);
  const { modelType, hfClass } = GGUF_ARCHITECTURES[arch]!;
  const k = (key: string): string => `${arch}.${key}`;
  const bad = (why: string): never => {
    throw new BadFileError(file.path, why);
  };
  const numLayers = m.uint(k("block_count"));
  const hidden = m.uint(k("embedding_length"));
  const numHeads = m.uint(k("attention.head_count"));
  const embed = file.tensors.get("token_embd.weight") ?? bad("has no token_embd.weight tensor");
  if (embed.shape.length !== 2 || embed.shape[1] !== hidden) bad(`token_embd.weight has shape [${embed.shape.join(", ")}], expected [vocab, ${hidden}]`);
  const kvHeads = m.uintPerLayer(k("attention.head_count_kv"), numLayers) ?? new Array<number>(numLayers).fill(numHeads);
  const ff = m.uintPerLayer(k("feed_forward_length"), numLayers) ?? bad(`metadata ${k("feed_forward_length")} is missing`);
  const kinds = layerKinds(file, family, arch, numLayers);

  const config: Record<string, unknown> = {
    model_type: modelType,
    architectures: [hfClass],
    hidden_size: hidden,
    num_hidden_layers: numLayers,
    num_attention_heads: numHeads,
    vocab_size: embed.shape[0],
    max_position_embeddings: m.uint(k("context_length"), family === "gemma" || family === "gemma2" ? 8192 : 131072),
    rms_norm_eps: m.float(k("attention.layer_norm_rms_epsilon")),
    hidden_activation: m.optionalString(k("hidden_activation")) ?? "gelu_pytorch_tanh",
    tie_word_embeddings: !file.tensors.has("output.weight"),
    bos_token_id: m.uint("tokenizer.ggml.bos_token_id", 2),
    eos_token_id: [...new Set([m.uint("tokenizer.ggml.eos_token_id", 1), ...(m.has("tokenizer.ggml.eot_token_id") ? [m.uint("tokenizer.ggml.eot_token_id")] : [])])],
    pad_token_id: m.uint("tokenizer.ggml.padding_token_id", 0),
    layer_types: kinds.map((s) => (s ? "sliding_attention" : "full_attention")),
  };
  const swaWindow = m.optionalUint(k("attention.sliding_window"));
  if (swaWindow !== null && swaWindow > 0) config["sliding_window"] = swaWindow;
  else if (family === "gemma2") config["sliding_window"] = 4096;
  const finalCap = m.optionalFloat(k("final_logit_softcapping"));

  if (family !== "gemma4") {
    if (new Set(kvHeads).size !== 1 || new Set(ff).size !== 1) bad(`per-layer head_count_kv or feed_forward_length is not supported for ${arch}`);
    const headDim = m.uint(k("attention.key_length"), hidden / numHeads);
    config["num_key_value_heads"] = kvHeads[0];
    config["intermediate_size"] = ff[0];
    config["head_dim"] = headDim;
    // llama.cpp derives the attention scale from the model size (gemma2.cpp, gemma3.cpp): the 27B models use
    // hidden/heads, the others head_dim. An explicit attention.scale (which our writer stores) wins; see below.
    const is27B = (family === "gemma2" && numLayers === 46) || (family === "gemma3" && numLayers === 62);
    config["query_pre_attn_scalar"] = is27B ? hidden / numHeads : headDim;
    const theta = m.float(k("rope.freq_base"), family === "gemma3" ? 1e6 : 10000);
    if (family === "gemma3") {
      const scaling = m.optionalString(k("rope.scaling.type"));
      const factor = m.float(k("rope.scaling.factor"), 1);
      if (scaling !== null && scaling !== "none" && scaling !== "linear") throw new UnsupportedError(`${file.path}: rope scaling ${JSON.stringify(scaling)} is not supported for gemma3`);
      const linear = scaling === "linear" && factor !== 1 && factor !== 0;
      config["rope_parameters"] = {
        full_attention: linear ? { rope_type: "linear", rope_theta: theta, factor } : { rope_type: "default", rope_theta: theta },
        sliding_attention: { rope_type: "default", rope_theta: m.float(k("rope.freq_base_swa"), 10000) },
      };
    } else {
      config["rope_parameters"] = { rope_type: "default", rope_theta: theta };
    }
    if (family === "gemma2") {
      config["attn_logit_softcapping"] = m.float(k("attn_logit_softcapping"), 50);
      config["final_logit_softcapping"] = finalCap ?? 30;
    } else if (family === "gemma3") {
      config["final_logit_softcapping"] = finalCap !== null && finalCap !== 0 ? finalCap : null;
      config["attn_logit_softcapping"] = null;
    }
    return config;
  }
  return { ...config, ...gemma4Fields(file, arch, numLayers, kinds, kvHeads, ff, finalCap) };
}

function gemma4Fields(file: GgufFile, arch: string, numLayers: number, swa: boolean[], kvHeads: number[], ff: number[], finalCap: number | null): Record<string, unknown> {
  const m = file.metadata;
  const k = (key: string): string => `${arch}.${key}`;
  const bad = (why: string): never => {
    throw new BadFileError(file.path, why);
  };
  swa[numLayers - 1] = false; // transformers forces the last layer to full attention, and so do we
  const fullHeadDim = m.uint(k("attention.key_length"));
  const swaHeadDim = m.uint(k("attention.key_length_swa"), fullHeadDim);
  const numShared = m.uint(k("attention.shared_kv_layers"), 0);
  const firstShared = numLayers - numShared;
  const firstSliding = swa.indexOf(true);
  const perLayerConfig: Record<string, unknown> = {};
  let kEqV = false;
  for (let i = 0; i < numLayers; i++) {
    if (!swa[i]) perLayerConfig[String(i)] = { head_dim: fullHeadDim, num_key_value_heads: kvHeads[i] };
    else if (kvHeads[i] !== kvHeads[firstSliding]) bad(`sliding layers with different head_count_kv (layer ${i}) are not supported`);
    if (!swa[i] && i < firstShared && !file.tensors.has(`blk.${i}.attn_v.weight`)) kEqV = true;
  }
  for (let i = 0; i < firstShared; i++) {
    if (!swa[i] && kEqV === file.tensors.has(`blk.${i}.attn_v.weight`)) bad(`some full-attention layers have attn_v and others do not (layer ${i})`);
  }
  const intermediate = ff[0]!;
  const doubleWide = numShared > 0 && ff[firstShared] === 2 * intermediate;
  for (let i = 0; i < numLayers; i++) {
    const want = doubleWide && i >= firstShared ? 2 * intermediate : intermediate;
    if (ff[i] !== want) bad(`feed_forward_length ${ff[i]} on layer ${i} fits neither a uniform nor a double-wide MLP`);
  }
  const pleDim = m.uint(k("embedding_length_per_layer_input"), 0);
  const ple = file.tensors.get("per_layer_token_embd.weight");
  const moe = file.tensors.has("blk.0.ffn_gate_inp.weight");
  const expertFf = moe ? (m.uintPerLayer(k("expert_feed_forward_length"), numLayers) ?? bad(`metadata ${k("expert_feed_forward_length")} is missing`)) : null;
  if (expertFf && new Set(expertFf).size !== 1) bad(`per-layer expert_feed_forward_length is not supported`);
  return {
    head_dim: swaHeadDim,
    global_head_dim: fullHeadDim,
    num_key_value_heads: kvHeads[firstSliding === -1 ? 0 : firstSliding],
    per_layer_config: perLayerConfig,
    attention_k_eq_v: kEqV,
    num_kv_shared_layers: numShared,
    intermediate_size: intermediate,
    use_double_wide_mlp: doubleWide,
    hidden_size_per_layer_input: pleDim,
    ...(pleDim > 0 && ple ? { vocab_size_per_layer_input: ple.shape[0] } : {}),
    enable_moe_block: moe,
    ...(moe ? { num_experts: m.uint(k("expert_count")), top_k_experts: m.uint(k("expert_used_count")), moe_intermediate_size: expertFf![0] } : {}),
    final_logit_softcapping: finalCap !== null && finalCap !== 0 ? finalCap : null,
    rope_parameters: {
      sliding_attention: { rope_type: "default", rope_theta: m.float(k("rope.freq_base_swa"), 10000) },
      full_attention: { rope_type: "proportional", rope_theta: m.float(k("rope.freq_base"), 1e6), partial_rotary_factor: partialRotaryFactor(file, fullHeadDim) },
    },
  };
}

/** Reads rope_freqs ([d/2] factors: R ones then 1e30s) back into HF's partial_rotary_factor 2R/d. */
function partialRotaryFactor(file: GgufFile, headDim: number): number {
  const info = file.tensors.get(ROPE_FREQS_GGUF);
  if (!info) return 1;
  if (info.numElements !== headDim / 2) throw new BadFileError(file.path, `${ROPE_FREQS_GGUF} has ${info.numElements} factors for head dim ${headDim}`);
  const factors = dequantizeRow(info.type, file.readTensorBytes(ROPE_FREQS_GGUF));
  let rotated = 0;
  while (rotated < factors.length && factors[rotated] === 1) rotated++;
  for (let j = rotated; j < factors.length; j++) {
    if (!(factors[j]! >= UNROTATED_FACTOR)) throw new UnsupportedError(`${file.path}: ${ROPE_FREQS_GGUF}[${j}] = ${factors[j]}: only proportional RoPE factors (1, then ≥ 1e29) are supported`);
  }
  let p = (2 * rotated) / headDim;
  while (Math.floor((p * headDim) / 2) < rotated) p = p + Number.EPSILON * p; // so that ⌊p·d/2⌋ is exactly R again
  return p;
}

/** Which layers use sliding-window attention, in llama.cpp's encodings (period or per-layer flags). */
function layerKinds(file: GgufFile, family: Family, arch: string, numLayers: number): boolean[] {
  const m = file.metadata;
  const key = `${arch}.attention.sliding_window_pattern`;
  if (family === "gemma") return new Array<boolean>(numLayers).fill(false);
  if (family === "gemma3" && !(m.optionalUint(`${arch}.attention.sliding_window`)! > 0)) return new Array<boolean>(numLayers).fill(false);
  const value = m.get(key);
  if (value && (value.type === "array" || value.type === "bool")) return m.boolPerLayer(key, numLayers)!;
  if (family === "gemma4") throw new BadFileError(file.path, `metadata ${key} is missing (gemma4 needs one flag per layer)`);
  // llama_hparams::set_swa_pattern(n): layer il is sliding iff il % n < n − 1 (n = 0: all sliding).
  const period = m.uint(key, family === "gemma2" ? 2 : 6);
  return Array.from({ length: numLayers }, (_, il) => period === 0 || il % period < period - 1);
}

/** The ModelConfig of a GGUF file, through parseHfConfig (same defaults and validation as config.json). */
export function modelConfigFromGguf(file: GgufFile): ModelConfig {
  const json = hfConfigFromGguf(file);
  const { config } = parseHfConfig(new JsonFields(file.path, json), null);
  const arch = file.metadata.string("general.architecture");
  const scale = file.metadata.optionalFloat(`${arch}.attention.scale`);
  if (scale === null || config.family === "gemma4" || config.family === "gemma") return config;
  // Our writer stores the exact float32 query scale; use it rather than re-deriving it from a scalar.
  return deepFreeze({ ...config, layers: config.layers.map((l) => ({ ...l, queryScale: Math.fround(scale) })) });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
