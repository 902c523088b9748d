// Random-weight GGUF files of real Gemma shapes for bench/cpu-vs-llama-cpp.mjs, written with the project's
// own GGUF writer, tensor-name mapping, metadata and llama.cpp quantization mixes (src/formats/gguf).
// Quantizing billions of values in JavaScript would take long, so each tensor's rows are drawn from a pool
// of 64 random rows per (type, row length), each quantized once by ggml's reference quantizer: the file has
// the size, layout and value distribution of a real one, which is all throughput depends on.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { JsonFields } from "../dist/formats/json-fields.js";
import { parseHfConfig } from "../dist/formats/hf-config.js";
import { weightSpecs } from "../dist/model/weight-table.js";
import { ggufNameOf, ROPE_FREQS_GGUF } from "../dist/formats/gguf/gemma-tensor-names.js";
import { ggufMetadataFromConfig, ropeFreqsFactors } from "../dist/formats/gguf/gguf-model-metadata.js";
import { convertKeepsF32, planTypes } from "../dist/formats/gguf/gguf-quant-plan.js";
import { writeGguf } from "../dist/formats/gguf/gguf-writer.js";
import { gguf } from "../dist/formats/gguf/gguf-value.js";
import { quantizeRow } from "../dist/formats/quant/quantize-row.js";
import { SeededRandom } from "../dist/engine/rng.js";

const sliding = (n, every, fullLast = true) => Array.from({ length: n }, (_, i) => ((i + 1) % every === 0 && fullLast ? "full_attention" : "sliding_attention"));

/** config.json of each benchmarked shape (Gemma 3 1B, Gemma 4 E2B text decoder). */
export const BENCH_SHAPES = {
  "gemma3-1b": {
    architectures: ["Gemma3ForCausalLM"], model_type: "gemma3_text", hidden_size: 1152, intermediate_size: 6912, num_hidden_layers: 26,
    num_attention_heads: 4, num_key_value_heads: 1, head_dim: 256, vocab_size: 262144, sliding_window: 512, layer_types: sliding(26, 6),
    rope_parameters: { full_attention: { rope_theta: 1000000.0, rope_type: "default" }, sliding_attention: { rope_theta: 10000.0, rope_type: "default" } },
    query_pre_attn_scalar: 256, rms_norm_eps: 1e-6, hidden_activation: "gelu_pytorch_tanh", max_position_embeddings: 32768,
    tie_word_embeddings: true, final_logit_softcapping: null, attn_logit_softcapping: null, bos_token_id: 2, eos_token_id: 1, pad_token_id: 0,
  },
  "gemma4-e2b": {
    architectures: ["Gemma4ForCausalLM"], model_type: "gemma4_text", hidden_size: 1536, intermediate_size: 6144, num_hidden_layers: 35,
    num_attention_heads: 8, num_key_value_heads: 1, head_dim: 256, global_head_dim: 512, vocab_size: 262144, vocab_size_per_layer_input: 262144,
    hidden_size_per_layer_input: 256, num_kv_shared_layers: 20, use_double_wide_mlp: true, attention_k_eq_v: false, enable_moe_block: false,
    sliding_window: 512, layer_types: sliding(35, 5),
    rope_parameters: { full_attention: { partial_rotary_factor: 0.25, rope_theta: 1000000.0, rope_type: "proportional" }, sliding_attention: { rope_theta: 10000.0, rope_type: "default" } },
    rms_norm_eps: 1e-6, hidden_activation: "gelu_pytorch_tanh", max_position_embeddings: 131072, tie_word_embeddings: true,
    final_logit_softcapping: 30.0, bos_token_id: 2, eos_token_id: 1, pad_token_id: 0,
  },
};

export function benchConfig(shape) {
  return parseHfConfig(new JsonFields(`${shape}/config.json`, BENCH_SHAPES[shape]), null).config;
}

/** A stand-in vocabulary (llama.cpp needs one to load a model; the benchmark feeds token ids directly). */
function vocabMetadata(V) {
  // Specials, then the 256 byte tokens SentencePiece vocabularies carry (llama.cpp looks up "<0x0A>").
  const byte = (b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
  const tokens = Array.from({ length: V }, (_, i) => (i === 0 ? "<pad>" : i === 1 ? "<eos>" : i === 2 ? "<bos>" : i === 3 ? "<unk>" : i < 260 ? byte(i - 4) : `t${i}`));
  const types = new Int32Array(V).fill(1);
  types[0] = types[1] = types[2] = 3;
  types[3] = 2;
  types.fill(6, 4, 260);
  return [
    ["tokenizer.ggml.model", gguf.string("llama")],
    ["tokenizer.ggml.tokens", gguf.strings(tokens)],
    ["tokenizer.ggml.scores", gguf.f32s(new Float32Array(V))],
    ["tokenizer.ggml.token_type", gguf.i32s(types)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(2)],
    ["tokenizer.ggml.eos_token_id", gguf.u32(1)],
    ["tokenizer.ggml.unknown_token_id", gguf.u32(3)],
    ["tokenizer.ggml.padding_token_id", gguf.u32(0)],
    ["tokenizer.ggml.add_bos_token", gguf.bool(true)],
  ];
}

/** Writes (or reuses) dir/<shape>-<mix>.gguf; returns its path. */
export function benchGguf(dir, shape, mix, log = () => {}) {
  const path = join(dir, `${shape}-${mix}.gguf`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const config = benchConfig(shape);
  const planned = [];
  const rope = ropeFreqsFactors(config);
  if (rope) planned.push({ name: ROPE_FREQS_GGUF, shape: [rope.length], values: rope, isNorm: false, onePlus: false });
  const specs = weightSpecs(config);
  const ordered = [...specs.filter((s) => s.slot !== "finalNorm" && s.slot !== "lmHead"), ...specs.filter((s) => s.slot === "finalNorm" || s.slot === "lmHead")];
  for (const spec of ordered) {
    const pair = ggufNameOf(config.family, spec.slot === "lmHead" ? "lm_head.weight" : spec.name);
    if (!pair) throw new Error(`no GGUF name for ${spec.name}`);
    planned.push({ name: pair.gguf, shape: spec.shape, isNorm: /norm|scale|layer_scalar/.test(spec.name), onePlus: pair.oneplusNorm });
  }
  const intermediate = mix === "F16" || mix === "BF16" ? mix : "F32";
  const current = planned.map((t) => (convertKeepsF32(t) ? "F32" : intermediate));
  const types = planTypes(planned, current, mix, { numLayers: config.numLayers, numExperts: 0 });
  const metadata = [...ggufMetadataFromConfig(config, { fileType: mix, name: `random ${shape}` }), ...vocabMetadata(config.vocabSize)];

  const rng = new SeededRandom(7);
  const unit = () => (rng.nextUint32() / 0x100000000 * 2 - 1) * Math.sqrt(3);
  const pools = new Map();
  const POOL = 64;
  const rowPool = (type, cols) => {
    const key = `${type}/${cols}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = Array.from({ length: POOL }, () => quantizeRow(type, Float32Array.from({ length: cols }, () => 0.05 * unit())));
      pools.set(key, pool);
    }
    return pool;
  };
  let done = 0;
  const tensors = planned.map((t, i) => ({
    name: t.name,
    type: types[i],
    shape: t.shape,
    data: () => {
      log(`  ${++done}/${planned.length} ${t.name} ${types[i]}`);
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (t.values) return quantizeRow(types[i], t.values);
      if (t.isNorm || t.shape.length < 2) {
        const center = t.onePlus ? 1 : config.normForm === "scale" && t.isNorm ? 1 : 0;
        return quantizeRow(types[i], Float32Array.from({ length: n }, () => center + 0.1 * unit()));
      }
      const cols = t.shape[t.shape.length - 1];
      const rows = n / cols;
      const pool = rowPool(types[i], cols);
      const rowBytes = pool[0].length;
      // In pieces of at most 256 MiB (E2B's per-layer table is 4.7 GB in F16: more than one byte array holds).
      const rowsPerPiece = Math.max(1, Math.floor((256 << 20) / rowBytes));
      return (function* () {
        for (let start = 0; start < rows; start += rowsPerPiece) {
          const count = Math.min(rowsPerPiece, rows - start);
          const out = new Uint8Array(count * rowBytes);
          for (let r = 0; r < count; r++) out.set(pool[rng.nextUint32() % POOL], r * rowBytes);
          yield out;
        }
      })();
    },
  }));
  writeGguf(path, { metadata, tensors });
  return path;
}
