import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ReferenceBackend } from "../../backends/reference/reference-backend.js";
import { GemmaDecoder } from "../../model/decoder.js";
import { KvCache } from "../../model/kv-cache.js";
import type { ModelConfig } from "../../model/model-config.js";
import { loadModelWeights } from "../../model/model-weights.js";
import { weightSpecs } from "../../model/weight-table.js";
import { FIXTURES, HF_FIXTURES, hfFixtureNames, maxAbsDiff, readHfReference } from "../../testing/fixtures.js";
import { f32ToF16, toFloat32 } from "../dtype.js";
import { readHfConfig } from "../hf-config.js";
import { SafetensorsCheckpoint } from "../safetensors-checkpoint.js";
import type { TensorSource } from "../tensor-source.js";
import { convertToGguf } from "./convert-to-gguf.js";
import { GgufFile } from "./gguf-file.js";
import { GgufModel } from "./gguf-model.js";
import { quantizeGguf } from "./quantize-gguf.js";
import { writeGguf } from "./gguf-writer.js";

const dir = mkdtempSync(join(tmpdir(), "gguf-model-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function logitsOf(config: ModelConfig, source: TensorSource, ids: Int32Array): Promise<Float32Array> {
  const backend = new ReferenceBackend();
  const weights = loadModelWeights(config, source, backend);
  const decoder = new GemmaDecoder(config, weights, backend);
  const cache = new KvCache(backend, config, { maxContext: ids.length, maxChunk: ids.length });
  return backend.read(decoder.forward(ids, cache, { logits: "all" }));
}

/** The config parts a model's computation depends on (names of the source format aside). */
const comparable = (c: ModelConfig): Omit<ModelConfig, "modelType" | "architecture"> => {
  const { modelType: _m, architecture: _a, ...rest } = c;
  return rest;
};

describe("GGUF written from each fixture model reads back to the same model", () => {
  for (const fixture of hfFixtureNames()) {
    it(fixture, async () => {
      const hfDir = join(HF_FIXTURES, fixture);
      const { config } = readHfConfig(hfDir);
      const checkpoint = SafetensorsCheckpoint.open(hfDir);
      const reference = readHfReference(fixture);
      const ids = reference.inputIds[0]!.subarray(0, 12);
      try {
        const expected = await logitsOf(config, checkpoint, ids);
        for (const mix of ["F32", "F16"] as const) {
          const path = join(dir, `${fixture}-${mix}.gguf`);
          convertToGguf(config, checkpoint, path, { mix });
          const model = GgufModel.open(path);
          try {
            assert.deepEqual(comparable(model.config), comparable(config), `${mix} config`);
            for (const spec of weightSpecs(config)) {
              const name = spec.slot === "lmHead" ? "lm_head.weight" : `model.${spec.name}`;
              const original = checkpoint.read(name);
              const back = model.read(name);
              assert.deepEqual(back.shape, original.shape, name);
              const a = toFloat32(original.dtype, original.data);
              const info = model.info(name);
              if (info.oneplusNorm) {
                // 1 + w is what the decoder uses; it survives exactly (see gguf-model.ts).
                const b = back.data as Float32Array;
                for (let i = 0; i < a.length; i++) assert.equal(Math.fround(1 + b[i]!), Math.fround(1 + a[i]!), `${name}[${i}]`);
              } else if (mix === "F16" && info.ggmlType === "F16") {
                const b = back.data as Uint16Array;
                for (let i = 0; i < a.length; i++) assert.equal(b[i], f32ToF16(a[i]!), `${name}[${i}]`);
              } else {
                assert.deepEqual(toFloat32(back.dtype, back.data), a, name);
              }
            }
            const logits = await logitsOf(model.config, model, ids);
            if (mix === "F32") assert.equal(maxAbsDiff(logits, expected), 0, "F32 GGUF logits equal the safetensors model's");
            else assert.ok(maxAbsDiff(logits, expected) < 2e-2, `F16 GGUF logits within 2e-2 (${maxAbsDiff(logits, expected)})`);
          } finally {
            model.close();
          }
        }
      } finally {
        checkpoint.close();
      }
    });
  }
});

describe("quantized GGUF files", () => {
  it("convert --quant Q8_0 equals quantize of the F32 file, and runs close to the float model", async () => {
    const fixture = "gemma3";
    const hfDir = join(HF_FIXTURES, fixture);
    const { config } = readHfConfig(hfDir);
    const checkpoint = SafetensorsCheckpoint.open(hfDir);
    try {
      const direct = join(dir, "direct-q8.gguf");
      const f32 = join(dir, "f32.gguf");
      const requant = join(dir, "requant-q8.gguf");
      convertToGguf(config, checkpoint, direct, { mix: "Q8_0" });
      convertToGguf(config, checkpoint, f32, { mix: "F32" });
      quantizeGguf(f32, requant, "Q8_0");
      const a = GgufFile.open(direct);
      const b = GgufFile.open(requant);
      try {
        assert.deepEqual([...a.tensors.keys()], [...b.tensors.keys()]);
        for (const name of a.tensors.keys()) {
          assert.equal(a.info(name).type, b.info(name).type, name);
          assert.deepEqual(a.readTensorBytes(name), b.readTensorBytes(name), name);
        }
        assert.equal(a.info("blk.0.attn_q.weight").type, "Q8_0");
        assert.equal(a.info("blk.0.attn_norm.weight").type, "F32");
      } finally {
        a.close();
        b.close();
      }
      const ids = readHfReference(fixture).inputIds[0]!.subarray(0, 12);
      const expected = await logitsOf(config, checkpoint, ids);
      const model = GgufModel.open(direct, { quantized: "dequantize" });
      try {
        const diff = maxAbsDiff(await logitsOf(model.config, model, ids), expected);
        assert.ok(diff > 0 && diff < 0.2, `Q8_0 logits within 0.2 of the float model's (${diff})`);
        assert.throws(() => GgufModel.open(direct).read("model.layers.0.self_attn.q_proj.weight"), /readBlocks/);
        assert.equal(model.readBlocks("model.layers.0.self_attn.q_proj.weight").type, "Q8_0");
      } finally {
        model.close();
      }
    } finally {
      checkpoint.close();
    }
  });

  it("Q4_K_M follows llama.cpp's mix (with its fallbacks for 64-wide rows)", () => {
    const hfDir = join(HF_FIXTURES, "gemma4-moe");
    const { config } = readHfConfig(hfDir);
    const checkpoint = SafetensorsCheckpoint.open(hfDir);
    try {
      const path = join(dir, "moe-q4km.gguf");
      const plan = new Map(convertToGguf(config, checkpoint, path, { mix: "Q4_K_M" }).map((t) => [t.ggufName, t.type]));
      // 64-value rows are not whole Q4_K/Q6_K blocks: Q4_K → Q5_0, Q6_K → Q8_0; 8 experts put attn_k/attn_v at Q8_0.
      assert.equal(plan.get("token_embd.weight"), "Q8_0");
      assert.equal(plan.get("blk.0.attn_q.weight"), "Q5_0");
      assert.equal(plan.get("blk.0.attn_k.weight"), "Q8_0");
      assert.equal(plan.get("blk.0.attn_v.weight"), "Q8_0");
      // With experts, llama.cpp takes ffn_down's layer from its name: use_more_bits picks layers 2 and 5 of 6.
      assert.equal(plan.get("blk.0.ffn_down.weight"), "Q5_0");
      assert.equal(plan.get("blk.2.ffn_down.weight"), "Q8_0"); // Q6_K → Q8_0
      assert.equal(plan.get("blk.2.ffn_down_exps.weight"), "Q8_0");
      assert.equal(plan.get("blk.0.attn_output.weight"), "Q5_1"); // 8 experts: Q5_K → Q5_1
      assert.equal(plan.get("blk.0.ffn_gate_inp.weight"), "F32");
      assert.equal(plan.get("blk.0.attn_norm.weight"), "F32");
      assert.equal(plan.get("rope_freqs.weight"), "F32");
      const model = GgufModel.open(path, { quantized: "dequantize" });
      model.close();
    } finally {
      checkpoint.close();
    }
  });
});

describe("GGUF metadata as llama.cpp writes it", () => {
  it("without our extra keys (attention.scale, sliding_window_pattern) gives the same config by llama.cpp's defaults", () => {
    for (const fixture of ["gemma2", "gemma3"]) {
      const hfDir = join(HF_FIXTURES, fixture);
      const { config } = readHfConfig(hfDir);
      const checkpoint = SafetensorsCheckpoint.open(hfDir);
      const ours = join(dir, `${fixture}-ours.gguf`);
      const plain = join(dir, `${fixture}-plain.gguf`);
      try {
        convertToGguf(config, checkpoint, ours, { mix: "F32" });
      } finally {
        checkpoint.close();
      }
      const file = GgufFile.open(ours);
      try {
        const metadata = [...file.metadata.entries].filter(([k]) => !/\.attention\.(scale|sliding_window_pattern)$/.test(k));
        writeGguf(plain, {
          metadata,
          tensors: [...file.tensors.values()].map((t) => ({ name: t.name, type: t.type, shape: t.shape, data: file.readTensorBytes(t.name) })),
        });
      } finally {
        file.close();
      }
      const model = GgufModel.open(plain);
      try {
        assert.deepEqual(comparable(model.config), comparable(config), fixture);
      } finally {
        model.close();
      }
    }
  });
});

describe("a GGUF written by llama.cpp's own Python library (gguf-py)", () => {
  it("reads as the same model, and its Q8_0 tensors equal ours byte for byte", () => {
    const theirs = join(FIXTURES, "gguf", "gemma3-gguf-py-q8_0.gguf");
    const hfDir = join(HF_FIXTURES, "gemma3");
    const { config } = readHfConfig(hfDir);
    const model = GgufModel.open(theirs, { quantized: "dequantize" });
    try {
      assert.deepEqual(comparable(model.config), comparable(config));
    } finally {
      model.close();
    }
    const checkpoint = SafetensorsCheckpoint.open(hfDir);
    const ours = join(dir, "gemma3-ours-q8_0.gguf");
    try {
      convertToGguf(config, checkpoint, ours, { mix: "Q8_0" });
    } finally {
      checkpoint.close();
    }
    const a = GgufFile.open(theirs);
    const b = GgufFile.open(ours);
    try {
      assert.deepEqual([...a.tensors.keys()].sort(), [...b.tensors.keys()].sort());
      for (const name of a.tensors.keys()) {
        assert.equal(b.info(name).type, a.info(name).type, name);
        assert.deepEqual(b.info(name).shape, a.info(name).shape, name);
        assert.deepEqual(b.readTensorBytes(name), a.readTensorBytes(name), name);
      }
    } finally {
      a.close();
      b.close();
    }
  });
});
