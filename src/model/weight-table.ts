/**
 * The one declarative map from checkpoint tensors to decoder slots (style habit 3): for a ModelConfig, the
 * name, expected shape and presence of every tensor the decoder reads. Loading checks each tensor against
 * it before keeping any bytes, so a checkpoint that does not fit its config fails with one clear line.
 */
import type { ModelConfig } from "./model-config.js";

export interface WeightSpec {
  /** Slot path in ModelWeights, e.g. "layers.3.attention.q". */
  readonly slot: string;
  /** Tensor name without the checkpoint's prefix, e.g. "layers.3.self_attn.q_proj.weight". */
  readonly name: string;
  readonly shape: readonly number[];
}

/** Prefixes under which checkpoints store the text decoder, longest first (spec pitfall 18). */
export const TEXT_PREFIXES = ["model.language_model.", "language_model.model.", "model."] as const;

/** Top-level groups of multimodal checkpoints that a text decoder skips. */
export const SKIPPED_PREFIXES = [
  "model.vision_tower.", "model.audio_tower.", "model.embed_vision.", "model.embed_audio.", "model.multi_modal_projector.",
  "vision_tower.", "audio_tower.", "multi_modal_projector.", "embed_vision.", "embed_audio.",
] as const;

/** Names of the output head when it is stored separately (untied). */
export const LM_HEAD_NAMES = ["lm_head.weight", "language_model.lm_head.weight"] as const;

export function weightSpecs(config: ModelConfig): WeightSpec[] {
  const H = config.hiddenDim;
  const specs: WeightSpec[] = [
    { slot: "embedTokens", name: "embed_tokens.weight", shape: [config.vocabSize, H] },
    { slot: "finalNorm", name: "norm.weight", shape: [H] },
  ];
  const ple = config.perLayerEmbedding;
  if (ple) {
    const LP = config.numLayers * ple.dim;
    specs.push(
      { slot: "perLayer.embed", name: "embed_tokens_per_layer.weight", shape: [ple.vocabSize, LP] },
      { slot: "perLayer.modelProjection", name: "per_layer_model_projection.weight", shape: [LP, H] },
      { slot: "perLayer.projectionNorm", name: "per_layer_projection_norm.weight", shape: [ple.dim] },
    );
  }
  for (const layer of config.layers) {
    const p = `layers.${layer.index}.`;
    const s = `layers.${layer.index}.`;
    const d = layer.headDim;
    const qDim = config.numHeads * d;
    const kvDim = layer.numKvHeads * d;
    const I = layer.intermediateDim;
    specs.push({ slot: `${s}inputNorm`, name: `${p}input_layernorm.weight`, shape: [H] });
    if (config.sandwichNorms) {
      specs.push(
        { slot: `${s}postAttentionNorm`, name: `${p}post_attention_layernorm.weight`, shape: [H] },
        { slot: `${s}preFeedforwardNorm`, name: `${p}pre_feedforward_layernorm.weight`, shape: [H] },
        { slot: `${s}postFeedforwardNorm`, name: `${p}post_feedforward_layernorm.weight`, shape: [H] },
      );
    } else {
      // Gemma 1: "post_attention_layernorm" is the pre-MLP norm despite its name (spec pitfall 19).
      specs.push({ slot: `${s}preFeedforwardNorm`, name: `${p}post_attention_layernorm.weight`, shape: [H] });
    }
    specs.push(
      { slot: `${s}attention.q`, name: `${p}self_attn.q_proj.weight`, shape: [qDim, H] },
      { slot: `${s}attention.o`, name: `${p}self_attn.o_proj.weight`, shape: [H, qDim] },
    );
    if (config.qkNorm) specs.push({ slot: `${s}attention.qNorm`, name: `${p}self_attn.q_norm.weight`, shape: [d] });
    // KV-shared layers compute no keys or values: their k/v weights, if stored, are ignored as in transformers.
    if (layer.kvSharedFrom === null) {
      specs.push({ slot: `${s}attention.k`, name: `${p}self_attn.k_proj.weight`, shape: [kvDim, H] });
      if (!layer.kEqV) specs.push({ slot: `${s}attention.v`, name: `${p}self_attn.v_proj.weight`, shape: [kvDim, H] });
      if (config.qkNorm) specs.push({ slot: `${s}attention.kNorm`, name: `${p}self_attn.k_norm.weight`, shape: [d] });
    }
    specs.push(
      { slot: `${s}mlp.gate`, name: `${p}mlp.gate_proj.weight`, shape: [I, H] },
      { slot: `${s}mlp.up`, name: `${p}mlp.up_proj.weight`, shape: [I, H] },
      { slot: `${s}mlp.down`, name: `${p}mlp.down_proj.weight`, shape: [H, I] },
    );
    if (config.layerScalar) specs.push({ slot: `${s}layerScalar`, name: `${p}layer_scalar`, shape: [1] });
    if (ple) {
      specs.push(
        { slot: `${s}perLayerInput.gate`, name: `${p}per_layer_input_gate.weight`, shape: [ple.dim, H] },
        { slot: `${s}perLayerInput.projection`, name: `${p}per_layer_projection.weight`, shape: [H, ple.dim] },
        { slot: `${s}perLayerInput.postNorm`, name: `${p}post_per_layer_input_norm.weight`, shape: [H] },
      );
    }
    const moe = config.moe;
    if (moe) {
      const E = moe.numExperts;
      const Im = moe.intermediateDim;
      specs.push(
        { slot: `${s}moe.routerProj`, name: `${p}router.proj.weight`, shape: [E, H] },
        { slot: `${s}moe.routerScale`, name: `${p}router.scale`, shape: [H] },
        { slot: `${s}moe.perExpertScale`, name: `${p}router.per_expert_scale`, shape: [E] },
        { slot: `${s}moe.gateUp`, name: `${p}experts.gate_up_proj`, shape: [E, 2 * Im, H] },
        { slot: `${s}moe.down`, name: `${p}experts.down_proj`, shape: [E, H, Im] },
        { slot: `${s}moe.preFeedforwardNorm2`, name: `${p}pre_feedforward_layernorm_2.weight`, shape: [H] },
        { slot: `${s}moe.postFeedforwardNorm1`, name: `${p}post_feedforward_layernorm_1.weight`, shape: [H] },
        { slot: `${s}moe.postFeedforwardNorm2`, name: `${p}post_feedforward_layernorm_2.weight`, shape: [H] },
      );
    }
  }
  if (!config.tieWordEmbeddings) specs.push({ slot: "lmHead", name: "lm_head.weight", shape: [config.vocabSize, H] });
  return specs;
}
