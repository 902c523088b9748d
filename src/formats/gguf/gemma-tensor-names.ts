/**
 * The one table between Hugging Face tensor names (without the text-model prefix) and llama.cpp's GGUF names
 * for the Gemma architectures (llama.cpp gguf-py constants.py TENSOR_NAMES and tensor_mapping.py; conversion
 * in conversion/gemma.py). Shapes need no table: a GGUF tensor's dims reversed are the PyTorch shape.
 *
 * Norm convention: llama.cpp stores the RMSNorm weights of Gemma 1, 2 and 3 as 1 + w (its converters add one
 * to every tensor whose HF name ends in "norm.weight", in float32, q_norm/k_norm included, so its kernels can
 * multiply by the stored value), and Gemma 4's as stored (its norms already multiply by w). `oneplusNorm`
 * marks the tensors that carry the shift.
 */
import type { Family } from "../../model/model-config.js";

export interface TensorNamePair {
  /** HF name without prefix, e.g. "layers.3.self_attn.q_proj.weight". */
  readonly hf: string;
  /** GGUF name, e.g. "blk.3.attn_q.weight". */
  readonly gguf: string;
  /** Stored as 1 + w in GGUF (Gemma 1–3 norms). */
  readonly oneplusNorm: boolean;
}

const MODEL_LEVEL: readonly (readonly [string, string])[] = [
  ["embed_tokens.weight", "token_embd.weight"],
  ["norm.weight", "output_norm.weight"],
  ["embed_tokens_per_layer.weight", "per_layer_token_embd.weight"],
  ["per_layer_model_projection.weight", "per_layer_model_proj.weight"],
  ["per_layer_projection_norm.weight", "per_layer_proj_norm.weight"],
];

/** Per-layer names after "layers.{i}." → after "blk.{i}.". */
const LAYER_LEVEL: readonly (readonly [string, string])[] = [
  ["input_layernorm.weight", "attn_norm.weight"],
  ["pre_feedforward_layernorm.weight", "ffn_norm.weight"],
  ["post_feedforward_layernorm.weight", "post_ffw_norm.weight"],
  ["self_attn.q_proj.weight", "attn_q.weight"],
  ["self_attn.k_proj.weight", "attn_k.weight"],
  ["self_attn.v_proj.weight", "attn_v.weight"],
  ["self_attn.o_proj.weight", "attn_output.weight"],
  ["self_attn.q_norm.weight", "attn_q_norm.weight"],
  ["self_attn.k_norm.weight", "attn_k_norm.weight"],
  ["mlp.gate_proj.weight", "ffn_gate.weight"],
  ["mlp.up_proj.weight", "ffn_up.weight"],
  ["mlp.down_proj.weight", "ffn_down.weight"],
  ["layer_scalar", "layer_output_scale.weight"],
  ["per_layer_input_gate.weight", "inp_gate.weight"],
  ["per_layer_projection.weight", "proj.weight"],
  ["post_per_layer_input_norm.weight", "post_norm.weight"],
  ["router.proj.weight", "ffn_gate_inp.weight"],
  ["router.scale", "ffn_gate_inp.scale"],
  ["router.per_expert_scale", "ffn_down_exps.scale"],
  ["experts.gate_up_proj", "ffn_gate_up_exps.weight"],
  ["experts.down_proj", "ffn_down_exps.weight"],
  ["pre_feedforward_layernorm_2.weight", "pre_ffw_norm_2.weight"],
  ["post_feedforward_layernorm_1.weight", "post_ffw_norm_1.weight"],
  ["post_feedforward_layernorm_2.weight", "post_ffw_norm_2.weight"],
];

/** The untied output head (llama.cpp's "output.weight"). */
export const LM_HEAD_PAIR = { hf: "lm_head.weight", gguf: "output.weight" } as const;

/** llama.cpp's proportional-RoPE frequency factors for Gemma 4 full-attention layers (no HF counterpart). */
export const ROPE_FREQS_GGUF = "rope_freqs.weight";

function oneplus(family: Family, hfName: string): boolean {
  return family !== "gemma4" && hfName.endsWith("norm.weight");
}

/**
 * The GGUF name of an HF tensor name (without prefix), or null if llama.cpp's Gemma layout has no place for it.
 * Gemma 1's "post_attention_layernorm" is its pre-MLP norm and becomes "ffn_norm"; Gemma 2–4's is a real
 * post-attention norm ("post_attention_norm").
 */
export function ggufNameOf(family: Family, hfName: string): TensorNamePair | null {
  if (hfName === LM_HEAD_PAIR.hf) return { ...LM_HEAD_PAIR, oneplusNorm: false };
  for (const [hf, gguf] of MODEL_LEVEL) if (hf === hfName) return { hf, gguf, oneplusNorm: oneplus(family, hf) };
  const m = /^layers\.(\d+)\.(.+)$/.exec(hfName);
  if (!m) return null;
  const [, index, rest] = m as unknown as [string, string, string];
  if (rest === "post_attention_layernorm.weight") {
    const gguf = family === "gemma" ? `blk.${index}.ffn_norm.weight` : `blk.${index}.post_attention_norm.weight`;
    return { hf: hfName, gguf, oneplusNorm: oneplus(family, hfName) };
  }
  for (const [hf, gguf] of LAYER_LEVEL) {
    if (hf === rest) return { hf: hfName, gguf: `blk.${index}.${gguf}`, oneplusNorm: oneplus(family, hfName) };
  }
  return null;
}

/** The HF name (without prefix) of a GGUF tensor name, or null for tensors with no HF counterpart (rope_freqs). */
export function hfNameOf(family: Family, ggufName: string): TensorNamePair | null {
  if (ggufName === LM_HEAD_PAIR.gguf) return { ...LM_HEAD_PAIR, oneplusNorm: false };
  for (const [hf, gguf] of MODEL_LEVEL) if (gguf === ggufName) return { hf, gguf, oneplusNorm: oneplus(family, hf) };
  const m = /^blk\.(\d+)\.(.+)$/.exec(ggufName);
  if (!m) return null;
  const [, index, rest] = m as unknown as [string, string, string];
  if (rest === "post_attention_norm.weight" && family !== "gemma") {
    const hf = `layers.${index}.post_attention_layernorm.weight`;
    return { hf, gguf: ggufName, oneplusNorm: oneplus(family, hf) };
  }
  if (rest === "ffn_norm.weight") {
    const hf = `layers.${index}.${family === "gemma" ? "post_attention_layernorm" : "pre_feedforward_layernorm"}.weight`;
    return { hf, gguf: ggufName, oneplusNorm: oneplus(family, hf) };
  }
  for (const [hf, gguf] of LAYER_LEVEL) {
    if (gguf === rest && hf !== "pre_feedforward_layernorm.weight") {
      const full = `layers.${index}.${hf}`;
      return { hf: full, gguf: ggufName, oneplusNorm: oneplus(family, full) };
    }
  }
  return null;
}
