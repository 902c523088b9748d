/**
 * Writes a Hugging Face model folder with random weights for a given config.json object: for demos,
 * memory and speed measurements, and tests that need a model of a particular shape. Tensors are generated
 * one at a time while the file is written, so a large checkpoint needs little memory.
 */
import { makeOutputFolder, writeJsonAtomic } from "../formats/atomic-write.js";
import { join } from "node:path";
import { SeededRandom } from "../engine/rng.js";
import { fromFloat32 } from "../formats/dtype.js";
import { JsonFields } from "../formats/json-fields.js";
import { parseHfConfig } from "../formats/hf-config.js";
import { writeSafetensors, type TensorToWrite } from "../formats/safetensors.js";
import type { ModelConfig } from "./model-config.js";
import { weightSpecs } from "./weight-table.js";
import { stringifyHfConfig } from "../formats/hf-config-json.js";

export interface RandomCheckpointOptions {
  readonly dtype?: "f32" | "f16" | "bf16";
  readonly seed?: number;
  /** Standard deviation of the projection weights (default 0.05; uniformly distributed). */
  readonly weightScale?: number;
}

/** Writes config.json, generation_config.json and model.safetensors into `dir`; returns the parsed config. */
export function writeRandomCheckpoint(dir: string, hfConfig: Readonly<Record<string, unknown>>, options: RandomCheckpointOptions = {}): ModelConfig {
  const { dtype = "f32", seed = 0, weightScale = 0.05 } = options;
  const configPath = join(dir, "config.json");
  const { config } = parseHfConfig(new JsonFields(configPath, hfConfig), null);
  makeOutputFolder(dir);
  const rng = new SeededRandom(seed);
  // Uniform on [-√3, √3): unit variance, and cheap enough for checkpoints of hundreds of megabytes.
  const unit = (): number => (rng.nextUint32() / 0x100000000 * 2 - 1) * Math.sqrt(3);
  const tensors: TensorToWrite[] = weightSpecs(config).map((spec) => ({
    name: spec.slot === "lmHead" ? spec.name : `model.${spec.name}`,
    dtype,
    shape: spec.shape,
    data: () => {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(n);
      const isNorm = /norm|scale|layer_scalar/.test(spec.name);
      // Norm weights: around 0 for the (1 + w) form, around 1 for the plain-scale form.
      const center = isNorm && config.normForm === "scale" ? 1 : 0;
      const spread = isNorm ? 0.1 : weightScale;
      for (let i = 0; i < n; i++) values[i] = center + spread * unit();
      return fromFloat32(dtype, values);
    },
  }));
  writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
  writeJsonAtomic(configPath, hfConfig, stringifyHfConfig);
  writeJsonAtomic(join(dir, "generation_config.json"), { bos_token_id: config.bosTokenId, eos_token_id: [...config.eosTokenIds], pad_token_id: config.padTokenId });
  return config;
}

/** A small Gemma 4 text config with every feature the decoder has (sliding + full layers, k = v, PLE off). */
export function tinyGemma4Config(overrides: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    architectures: ["Gemma4ForCausalLM"],
    model_type: "gemma4_text",
    vocab_size: 512,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    global_head_dim: 32,
    num_global_key_value_heads: 1,
    attention_k_eq_v: true,
    hidden_size_per_layer_input: 0,
    sliding_window: 16,
    layer_types: ["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"],
    final_logit_softcapping: 30.0,
    max_position_embeddings: 4096,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: true,
    bos_token_id: 2,
    eos_token_id: 1,
    pad_token_id: 0,
    ...overrides,
  };
}
