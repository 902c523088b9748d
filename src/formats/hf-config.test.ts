import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BadFileError, UnsupportedError } from "../errors.js";
import { HF_FIXTURES, hfFixtureNames } from "../testing/fixtures.js";
import { parseHfConfig, readHfConfig } from "./hf-config.js";
import { JsonFields } from "./json-fields.js";

const parse = (obj: Record<string, unknown>, path = "/models/x/config.json") => parseHfConfig(new JsonFields(path, obj), null).config;
const fixtureJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(HF_FIXTURES, name, "config.json"), "utf8")) as Record<string, unknown>;

function expectConfigError(obj: Record<string, unknown>, pattern: RegExp, type: typeof BadFileError | typeof UnsupportedError = BadFileError): void {
  assert.throws(() => parse(obj), (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.match(e.message, /\/models\/x\/config\.json/);
    return true;
  });
}

describe("config.json → ModelConfig", () => {
  it("reads every fixture", () => {
    for (const name of hfFixtureNames()) {
      const { config } = readHfConfig(join(HF_FIXTURES, name));
      assert.equal(config.numLayers, config.layers.length, name);
    }
    const dense = readHfConfig(join(HF_FIXTURES, "gemma4-dense")).config;
    assert.deepEqual(dense.layers.map((l) => l.kind), ["sliding", "sliding", "full", "sliding", "sliding", "full"]);
    assert.deepEqual(dense.layers.map((l) => [l.headDim, l.numKvHeads, l.kEqV]), [[16, 2, false], [16, 2, false], [32, 1, true], [16, 2, false], [16, 2, false], [32, 1, true]]);
    assert.equal(dense.layers[2]!.rope.type, "proportional");
    assert.equal(dense.layers[0]!.queryScale, 1);
    const kvshare = readHfConfig(join(HF_FIXTURES, "gemma4-ple-kvshare")).config;
    assert.deepEqual(kvshare.layers.map((l) => l.kvSharedFrom), [null, null, null, null, 3, 2]);
    assert.deepEqual(kvshare.layers.map((l) => l.intermediateDim), [128, 128, 128, 128, 256, 256]);
    assert.deepEqual(kvshare.perLayerEmbedding, { dim: 8, vocabSize: 512 });
    const g2 = readHfConfig(join(HF_FIXTURES, "gemma2")).config;
    assert.equal(g2.attnLogitSoftcap, 50);
    assert.equal(g2.layers[0]!.queryScale, Math.fround(1 / 4));
    const g1 = readHfConfig(join(HF_FIXTURES, "gemma1-mqa")).config;
    assert.equal(g1.sandwichNorms, false);
    assert.equal(g1.normForm, "one-plus");
  });

  it("the Hub layout (global_head_dim, num_global_key_value_heads) and per_layer_config give the same layers", () => {
    const saved = fixtureJson("gemma4-dense");
    const { per_layer_config: _dropped, ...rest } = saved;
    const hub = parse({ ...rest, global_head_dim: 32, num_global_key_value_heads: 1 });
    assert.deepEqual(hub.layers, parse(saved).layers);
    // Zero-padded keys, as some third-party files write them.
    const padded = parse({ ...rest, per_layer_config: { "02": { head_dim: 32, num_key_value_heads: 1 }, "05": { head_dim: 32, num_key_value_heads: 1 } } });
    assert.deepEqual(padded.layers, hub.layers);
  });

  it("nested text_config (multimodal gemma4 / gemma3 checkpoints) and their token ids", () => {
    const text = fixtureJson("gemma4-dense");
    const nested = parseHfConfig(new JsonFields("/m/config.json", {
      model_type: "gemma4", architectures: ["Gemma4ForConditionalGeneration"], text_config: { ...text, model_type: "gemma4_text" },
      vision_config: { model_type: "gemma4_vision" }, audio_config: null, eos_token_id: [1, 106],
    }), null);
    assert.deepEqual(nested.config.layers, parse(text).layers);
    assert.deepEqual(nested.skippedParts, ["vision_config"]);
    assert.equal(nested.config.architecture, "Gemma4ForConditionalGeneration");
    const g3 = fixtureJson("gemma3");
    const nested3 = parse({ model_type: "gemma3", text_config: { ...g3, model_type: "gemma3_text" } });
    assert.deepEqual(nested3.layers, parse(g3).layers);
  });

  it("derives the transformers defaults a config leaves out", () => {
    // Gemma 4: full iff (i+1) % 6 == 0, the last layer forced full; PLE width 256; head dims 256/512.
    const g4 = parse({ model_type: "gemma4_text", hidden_size: 128, num_hidden_layers: 8 });
    assert.deepEqual(g4.layers.map((l) => l.kind), ["sliding", "sliding", "sliding", "sliding", "sliding", "full", "sliding", "full"]);
    assert.equal(g4.perLayerEmbedding?.dim, 256);
    assert.deepEqual([g4.layers[0]!.headDim, g4.layers[5]!.headDim], [256, 512]);
    assert.equal(g4.layers[5]!.rope.type, "proportional");
    assert.equal(g4.layers[5]!.rope.partialRotaryFactor, 0.25);
    assert.equal(g4.finalLogitSoftcap, null);
    const forced = parse({ model_type: "gemma4_text", hidden_size: 64, num_hidden_layers: 2, layer_types: ["sliding_attention", "sliding_attention"] });
    assert.equal(forced.layers[1]!.kind, "full");
    // Gemma 2: even layers sliding; softcaps 50 / 30.
    const g2 = parse({ model_type: "gemma2", hidden_size: 64, num_hidden_layers: 4 });
    assert.deepEqual(g2.layers.map((l) => l.kind), ["sliding", "full", "sliding", "full"]);
    assert.deepEqual([g2.attnLogitSoftcap, g2.finalLogitSoftcap], [50, 30]);
    // Gemma 3, old flat rope layout with linear scaling on global layers only; 5:1 pattern.
    const g3 = parse({ model_type: "gemma3_text", hidden_size: 64, num_hidden_layers: 6, rope_theta: 1e6, rope_local_base_freq: 1e4, rope_scaling: { rope_type: "linear", factor: 8 } });
    assert.deepEqual(g3.layers.map((l) => l.kind), ["sliding", "sliding", "sliding", "sliding", "sliding", "full"]);
    assert.deepEqual(g3.layers[5]!.rope, { type: "linear", theta: 1e6, factor: 8, partialRotaryFactor: 1 });
    assert.deepEqual(g3.layers[0]!.rope, { type: "default", theta: 1e4, factor: 1, partialRotaryFactor: 1 });
    assert.equal(g3.vocabSize, 262208);
  });

  it("KV sharing reads the last non-shared layer of the same type (E2B: 13 and 14)", () => {
    const types = Array.from({ length: 35 }, (_, i) => ((i + 1) % 5 === 0 ? "full_attention" : "sliding_attention"));
    const e2b = parse({ model_type: "gemma4_text", hidden_size: 64, num_hidden_layers: 35, num_kv_shared_layers: 20, layer_types: types, use_double_wide_mlp: true, intermediate_size: 6144 });
    const sources = new Set(e2b.layers.filter((l) => l.kvSharedFrom !== null).map((l) => `${l.kind}:${l.kvSharedFrom}`));
    assert.deepEqual([...sources].sort(), ["full:14", "sliding:13"]);
    assert.equal(e2b.layers[14]!.intermediateDim, 6144);
    assert.equal(e2b.layers[15]!.intermediateDim, 12288);
  });

  it("gives one clear error naming the file for bad configs", () => {
    const base = fixtureJson("gemma4-dense");
    const { hidden_size: _h, ...noHidden } = base;
    expectConfigError(noHidden, /hidden_size is missing/);
    expectConfigError({ ...base, num_attention_heads: "four" }, /num_attention_heads must be a number/);
    expectConfigError({ ...base, num_key_value_heads: 3 }, /must divide num_attention_heads/);
    expectConfigError({ ...base, layer_types: ["sliding_attention"] }, /layer_types has 1 entries for 6 layers/);
    expectConfigError({ ...base, layer_types: [...(base["layer_types"] as string[]).slice(0, 5), "global"] }, /layer_types\[5\] is "global"/);
    expectConfigError({ ...base, per_layer_config: { "9": { head_dim: 32 } } }, /names layer 9 of a 6-layer model/);
    expectConfigError({ ...base, model_type: "llama" }, /model_type "llama" is not a Gemma text model/, UnsupportedError);
    expectConfigError({ model_type: "gemma4" }, /text_config is missing/);
    expectConfigError({ ...base, use_bidirectional_attention: "all" }, /not supported/, UnsupportedError);
    expectConfigError({ ...base, enable_moe_block: true }, /num_experts is missing/);
    assert.throws(() => JsonFields.parse("/m/config.json", "{oops"), (e: unknown) => e instanceof BadFileError && /not valid JSON/.test(e.message));
  });
});
