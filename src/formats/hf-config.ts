/**
 * config.json (+ generation_config.json) of a Hugging Face Gemma checkpoint → ModelConfig.
 *
 * Accepts model_type gemma, gemma2, gemma3_text, gemma3 (text under text_config), gemma4_text and gemma4
 * (text under text_config). Fields a config leaves out take the transformers defaults of its config class
 * (real multimodal configs rely on them), except the two no real checkpoint omits: hidden_size and
 * num_hidden_layers. Gemma 4's full-attention geometry is read from either on-disk layout: the Hub's flat
 * global_head_dim / num_global_key_value_heads, or transformers ≥ 5.15's per_layer_config (spec §4.1).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Activation } from "../backends/ops.js";
import { BadPathError, UnsupportedError } from "../errors.js";
import type { Family, LayerConfig, LayerKind, ModelConfig, RopeConfig } from "../model/model-config.js";
import { JsonFields } from "./json-fields.js";

export interface HfConfigResult {
  readonly config: ModelConfig;
  /** Stored dtype named by the config (informational: the tensors say what they are). */
  readonly dtype: string | null;
  /** Top-level keys of parts this text decoder does not run (vision_config, audio_config). */
  readonly skippedParts: readonly string[];
  /** Sampling the checkpoint recommends (generation_config.json): greedy unless it says do_sample. */
  readonly generationDefaults: GenerationDefaults;
}

export interface GenerationDefaults {
  readonly greedy: boolean;
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly minP?: number;
}

/** Defaults of each transformers config class for the fields we read (spec §4.1, §5, §6, §7). */
interface FamilyDefaults {
  readonly vocabSize: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly intermediate: number;
  readonly slidingWindow: number;
  readonly maxPositions: number;
  readonly attnSoftcap: number | null;
  readonly finalSoftcap: number | null;
}

const DEFAULTS: Readonly<Record<Family, FamilyDefaults>> = {
  gemma: { vocabSize: 256000, numHeads: 16, numKvHeads: 16, headDim: 256, intermediate: 24576, slidingWindow: 0, maxPositions: 8192, attnSoftcap: null, finalSoftcap: null },
  gemma2: { vocabSize: 256000, numHeads: 8, numKvHeads: 4, headDim: 256, intermediate: 9216, slidingWindow: 4096, maxPositions: 8192, attnSoftcap: 50, finalSoftcap: 30 },
  gemma3: { vocabSize: 262208, numHeads: 8, numKvHeads: 4, headDim: 256, intermediate: 9216, slidingWindow: 4096, maxPositions: 131072, attnSoftcap: null, finalSoftcap: null },
  gemma4: { vocabSize: 262144, numHeads: 8, numKvHeads: 4, headDim: 256, intermediate: 9216, slidingWindow: 512, maxPositions: 131072, attnSoftcap: null, finalSoftcap: null },
};

const TEXT_MODEL_TYPES: Readonly<Record<string, { family: Family; nested: boolean }>> = {
  gemma: { family: "gemma", nested: false },
  gemma2: { family: "gemma2", nested: false },
  gemma3_text: { family: "gemma3", nested: false },
  gemma3: { family: "gemma3", nested: true },
  gemma4_text: { family: "gemma4", nested: false },
  gemma4: { family: "gemma4", nested: true },
};

/** Reads config.json (and generation_config.json when present) from a model folder. */
export function readHfConfig(dir: string): HfConfigResult {
  const path = join(dir, "config.json");
  if (!existsSync(path)) throw new BadPathError(dir, "no config.json: not a Hugging Face model folder");
  const root = JsonFields.parse(path, readFileSync(path, "utf8"));
  const genPath = join(dir, "generation_config.json");
  const generation = existsSync(genPath) ? JsonFields.parse(genPath, readFileSync(genPath, "utf8")) : null;
  return parseHfConfig(root, generation);
}

export function parseHfConfig(root: JsonFields, generation: JsonFields | null): HfConfigResult {
  const modelType = root.string("model_type");
  const kind = TEXT_MODEL_TYPES[modelType];
  if (!kind) throw new UnsupportedError(`${root.path}: model_type ${JSON.stringify(modelType)} is not a Gemma text model (expected one of ${Object.keys(TEXT_MODEL_TYPES).join(", ")})`);
  let text = root;
  if (kind.nested) {
    const nested = root.object("text_config");
    if (!nested) root.fail("text_config", `is missing (model_type ${modelType} keeps the text model there)`);
    text = nested;
  }
  const skippedParts = root.keys().filter((k) => /^(vision|audio)_config$/.test(k) && root.has(k));
  const architecture = (root.stringList("architectures") ?? [])[0] ?? "";
  const config = buildConfig(kind.family, modelType, architecture, text, root, generation);
  return { config, generationDefaults: readGenerationDefaults(generation), dtype: text.optionalString("dtype") ?? text.optionalString("torch_dtype") ?? root.optionalString("dtype") ?? root.optionalString("torch_dtype"), skippedParts };
}

function buildConfig(family: Family, modelType: string, architecture: string, f: JsonFields, root: JsonFields, generation: JsonFields | null): ModelConfig {
  const d = DEFAULTS[family];
  const hiddenDim = f.int("hidden_size");
  const numLayers = f.int("num_hidden_layers");
  const numHeads = f.int("num_attention_heads", d.numHeads);
  const numKvHeads = f.int("num_key_value_heads", d.numKvHeads);
  const headDim = f.int("head_dim", d.headDim);
  const intermediate = f.int("intermediate_size", d.intermediate);
  const vocabSize = f.int("vocab_size", d.vocabSize);
  const slidingWindow = family === "gemma" ? 0 : f.int("sliding_window", d.slidingWindow);
  const eps = f.number("rms_norm_eps", 1e-6);
  if (!(eps > 0)) f.fail("rms_norm_eps", "must be positive");

  const bidirectional = f.obj["use_bidirectional_attention"];
  if (bidirectional === true || bidirectional === "all") {
    throw new UnsupportedError(`${f.path}: use_bidirectional_attention=${JSON.stringify(bidirectional)} (an embedding model, not a causal LM) is not supported`);
  }

  const layerKinds = readLayerKinds(family, f, numLayers);
  const ropes = readRope(family, f);
  const activation = readActivation(family, f);
  const qpas = f.number("query_pre_attn_scalar", 256);

  const isGemma4 = family === "gemma4";
  const numShared = isGemma4 ? f.int("num_kv_shared_layers", 0, true) : 0;
  if (numShared >= numLayers) f.fail("num_kv_shared_layers", `(${numShared}) must be smaller than num_hidden_layers (${numLayers})`);
  const firstShared = numLayers - numShared;
  const kEqV = isGemma4 && f.bool("attention_k_eq_v", false);
  const doubleWide = isGemma4 && f.bool("use_double_wide_mlp", false);
  const perLayer = isGemma4 ? readPerLayerConfig(f) : new Map<number, { headDim?: number; numKvHeads?: number }>();
  for (const index of perLayer.keys()) if (index >= numLayers) f.fail("per_layer_config", `names layer ${index} of a ${numLayers}-layer model`);
  const globalHeadDim = isGemma4 ? f.int("global_head_dim", 512) : headDim;
  const globalKvHeads = isGemma4 ? f.optionalInt("num_global_key_value_heads") : null;

  const layers: LayerConfig[] = [];
  for (let i = 0; i < numLayers; i++) {
    const layerKind = layerKinds[i]!;
    const full = layerKind === "full";
    const override = perLayer.get(i);
    const layerHeadDim = override?.headDim ?? (full ? globalHeadDim : headDim);
    const layerKEqV = kEqV && full;
    const layerKvHeads = override?.numKvHeads ?? (layerKEqV && globalKvHeads !== null ? globalKvHeads : numKvHeads);
    if (numHeads % layerKvHeads !== 0) f.fail("num_key_value_heads", `(${layerKvHeads} on layer ${i}) must divide num_attention_heads (${numHeads})`);
    let kvSharedFrom: number | null = null;
    if (i >= firstShared) {
      for (let j = firstShared - 1; j >= 0; j--) if (layerKinds[j] === layerKind) { kvSharedFrom = j; break; }
      if (kvSharedFrom === null) f.fail("num_kv_shared_layers", `leaves shared layer ${i} (${layerKind}) with no earlier ${layerKind} layer to read`);
      const source = layers[kvSharedFrom]!;
      if (source.headDim !== layerHeadDim) f.fail("per_layer_config", `gives layer ${i} head_dim ${layerHeadDim} but its KV source layer ${kvSharedFrom} has ${source.headDim}`);
    }
    const queryScale = family === "gemma4" ? 1.0 : family === "gemma" ? 1 / Math.sqrt(layerHeadDim) : 1 / Math.sqrt(qpas);
    layers.push({
      index: i,
      kind: layerKind,
      headDim: layerHeadDim,
      numKvHeads: layerKvHeads,
      slidingWindow: layerKind === "sliding" ? slidingWindow : null,
      rope: full ? ropes.full : ropes.sliding,
      queryScale: Math.fround(queryScale),
      kEqV: layerKEqV,
      kvSharedFrom,
      intermediateDim: doubleWide && i >= firstShared ? 2 * intermediate : intermediate,
    });
    if (layerKind === "sliding" && !(slidingWindow > 0)) f.fail("sliding_window", `must be positive for sliding layers`);
  }

  const pleDim = isGemma4 ? f.int("hidden_size_per_layer_input", 256, true) : 0;
  const perLayerEmbedding = pleDim > 0 ? { dim: pleDim, vocabSize: f.int("vocab_size_per_layer_input", 262144) } : null;
  const moe = isGemma4 && f.bool("enable_moe_block", false)
    ? { numExperts: f.int("num_experts"), topK: f.int("top_k_experts"), intermediateDim: f.int("moe_intermediate_size") }
    : null;
  if (moe && moe.topK > moe.numExperts) f.fail("top_k_experts", `(${moe.topK}) exceeds num_experts (${moe.numExperts})`);

  const eos = generation?.intList("eos_token_id") ?? f.intList("eos_token_id") ?? root.intList("eos_token_id") ?? [1];
  const attnSoftcap = family === "gemma2" || family === "gemma3" ? (f.has("attn_logit_softcapping") ? f.number("attn_logit_softcapping") : f.obj["attn_logit_softcapping"] === null ? null : d.attnSoftcap) : null;
  const finalSoftcap = family === "gemma" ? null : f.has("final_logit_softcapping") ? f.number("final_logit_softcapping") : f.obj["final_logit_softcapping"] === null ? null : d.finalSoftcap;

  const config: ModelConfig = {
    family,
    modelType,
    architecture,
    vocabSize,
    hiddenDim,
    numLayers,
    numHeads,
    normForm: isGemma4 ? "scale" : "one-plus",
    rmsNormEps: eps,
    activation,
    qkNorm: family === "gemma3" || family === "gemma4",
    vNorm: isGemma4,
    sandwichNorms: family !== "gemma",
    layerScalar: isGemma4,
    attnLogitSoftcap: attnSoftcap,
    finalLogitSoftcap: finalSoftcap,
    embedScale: Math.fround(Math.sqrt(hiddenDim)),
    perLayerEmbedding,
    moe,
    tieWordEmbeddings: f.bool("tie_word_embeddings", root.bool("tie_word_embeddings", true)),
    layers,
    bosTokenId: f.int("bos_token_id", 2, true),
    eosTokenIds: [...new Set(eos)],
    padTokenId: f.int("pad_token_id", 0, true),
    maxPositions: f.int("max_position_embeddings", d.maxPositions),
  };
  return deepFreeze(config);
}

function readGenerationDefaults(g: JsonFields | null): GenerationDefaults {
  if (!g || !g.bool("do_sample", false)) return { greedy: true };
  const temperature = g.optionalNumber("temperature");
  const topK = g.optionalNumber("top_k");
  const topP = g.optionalNumber("top_p");
  const minP = g.optionalNumber("min_p");
  return {
    greedy: false,
    ...(temperature !== null ? { temperature } : { temperature: 1 }),
    ...(topK !== null && topK > 0 ? { topK: Math.floor(topK) } : {}),
    ...(topP !== null && topP < 1 ? { topP } : {}),
    ...(minP !== null && minP > 0 ? { minP } : {}),
  };
}

function readLayerKinds(family: Family, f: JsonFields, numLayers: number): LayerKind[] {
  const written = f.stringList("layer_types");
  let kinds: LayerKind[];
  if (written) {
    if (written.length !== numLayers) f.fail("layer_types", `has ${written.length} entries for ${numLayers} layers`);
    kinds = written.map((t, i) => {
      if (t === "sliding_attention") return "sliding";
      if (t === "full_attention") return "full";
      return f.fail(`layer_types[${i}]`, `is ${JSON.stringify(t)}, expected "sliding_attention" or "full_attention"`);
    });
  } else {
    kinds = [];
    for (let i = 0; i < numLayers; i++) {
      switch (family) {
        case "gemma": kinds.push("full"); break;
        case "gemma2": kinds.push(i % 2 === 0 ? "sliding" : "full"); break;
        case "gemma3": {
          const pattern = f.int("sliding_window_pattern", f.int("_sliding_window_pattern", 6));
          kinds.push((i + 1) % pattern === 0 ? "full" : "sliding");
          break;
        }
        case "gemma4": kinds.push((i + 1) % 6 === 0 ? "full" : "sliding"); break;
        default: { const never: never = family; throw new Error(String(never)); }
      }
    }
  }
  // transformers forces Gemma 4's last layer to full attention whatever the config says (spec §4.1).
  if (family === "gemma4") kinds[numLayers - 1] = "full";
  return kinds;
}

function readRopeEntry(f: JsonFields, fallbackTheta: number, fallbackType: RopeConfig["type"] = "default"): RopeConfig {
  const type = f.optionalString("rope_type") ?? f.optionalString("type") ?? fallbackType;
  if (type !== "default" && type !== "linear" && type !== "proportional") {
    throw new UnsupportedError(`${f.path}: ${f.prefix}rope_type ${JSON.stringify(type)} is not supported (default, linear, proportional)`);
  }
  return {
    type,
    theta: f.number("rope_theta", fallbackTheta),
    factor: f.number("factor", 1),
    partialRotaryFactor: f.number("partial_rotary_factor", 1),
  };
}

function readRope(family: Family, f: JsonFields): { sliding: RopeConfig; full: RopeConfig } {
  const params = f.object("rope_parameters");
  if (family === "gemma" || family === "gemma2") {
    const one = params ? readRopeEntry(params, f.number("rope_theta", 10000)) : { type: "default" as const, theta: f.number("rope_theta", 10000), factor: 1, partialRotaryFactor: 1 };
    return { sliding: one, full: one };
  }
  const slidingParams = params?.object("sliding_attention");
  const fullParams = params?.object("full_attention");
  if (family === "gemma4") {
    return {
      sliding: slidingParams ? readRopeEntry(slidingParams, 10000) : { type: "default", theta: 10000, factor: 1, partialRotaryFactor: 1 },
      full: fullParams ? readRopeEntry(fullParams, 1e6, "proportional") : { type: "proportional", theta: 1e6, factor: 1, partialRotaryFactor: 0.25 },
    };
  }
  // Gemma 3: new layout (rope_parameters per layer type) or the old flat one (rope_theta for global layers,
  // rope_local_base_freq for local ones, rope_scaling merged into the global layers only).
  if (slidingParams || fullParams) {
    return {
      sliding: slidingParams ? readRopeEntry(slidingParams, 10000) : { type: "default", theta: 10000, factor: 1, partialRotaryFactor: 1 },
      full: fullParams ? readRopeEntry(fullParams, 1e6) : { type: "default", theta: 1e6, factor: 1, partialRotaryFactor: 1 },
    };
  }
  const scaling = f.object("rope_scaling");
  const fullTheta = f.number("rope_theta", 1e6);
  return {
    sliding: { type: "default", theta: f.number("rope_local_base_freq", 10000), factor: 1, partialRotaryFactor: 1 },
    full: scaling ? readRopeEntry(scaling, fullTheta) : { type: "default", theta: fullTheta, factor: 1, partialRotaryFactor: 1 },
  };
}

function readActivation(family: Family, f: JsonFields): Activation {
  // Gemma 1 configs often say hidden_act "gelu" but the model is trained with the tanh approximation, and
  // transformers uses it unless hidden_activation says otherwise (spec §1.3).
  const name = f.optionalString("hidden_activation") ?? (family === "gemma" ? "gelu_pytorch_tanh" : "gelu_pytorch_tanh");
  if (name === "gelu_pytorch_tanh" || name === "gelu_new" || name === "gelu_tanh") return "gelu_tanh";
  if (name === "gelu") return "gelu_exact";
  throw new UnsupportedError(`${f.path}: ${f.prefix}hidden_activation ${JSON.stringify(name)} is not supported`);
}

function readPerLayerConfig(f: JsonFields): Map<number, { headDim?: number; numKvHeads?: number }> {
  const map = new Map<number, { headDim?: number; numKvHeads?: number }>();
  const plc = f.object("per_layer_config");
  if (!plc) return map;
  for (const key of plc.keys()) {
    // Keys are layer indices as strings, sometimes zero-padded ("05").
    if (!/^\d+$/.test(key)) plc.fail(key, "is not a layer index");
    const entry = plc.object(key);
    if (!entry) continue;
    const value: { headDim?: number; numKvHeads?: number } = {};
    if (entry.has("head_dim")) value.headDim = entry.int("head_dim");
    if (entry.has("num_key_value_heads")) value.numKvHeads = entry.int("num_key_value_heads");
    map.set(parseInt(key, 10), value);
  }
  return map;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
