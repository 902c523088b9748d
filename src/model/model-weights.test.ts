import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadModel } from "../api/load-model.js";
import { describeModel } from "../api/describe-model.js";
import { BadFileError, UnsupportedError } from "../errors.js";
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from "../formats/safetensors.js";
import { HF_FIXTURES, maxAbsDiff, readHfReference } from "../testing/fixtures.js";

const root = mkdtempSync(join(tmpdir(), "gemma4-weights-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** Copies a fixture's tensors under another prefix, optionally editing them, with a given config.json. */
function rewrite(name: string, target: string, options: { prefix?: string; config?: unknown; edit?: (t: TensorToWrite[]) => TensorToWrite[] }): string {
  const dir = join(root, target);
  mkdirSync(dir, { recursive: true });
  const file = SafetensorsFile.open(join(HF_FIXTURES, name, "model.safetensors"));
  let tensors: TensorToWrite[] = [...file.tensors.keys()].map((n) => {
    const t = file.read(n);
    return { name: options.prefix ? n.replace(/^model\./, options.prefix) : n, dtype: t.dtype, shape: t.shape, data: t.data };
  });
  file.close();
  if (options.edit) tensors = options.edit(tensors);
  writeSafetensors(join(dir, "model.safetensors"), tensors);
  const config = options.config ?? JSON.parse(readFileSync(join(HF_FIXTURES, name, "config.json"), "utf8"));
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  return dir;
}

describe("loading checkpoint weights", () => {
  it("a multimodal layout (nested text_config, model.language_model. prefix, vision tensors) gives the text model's logits", async () => {
    const text = JSON.parse(readFileSync(join(HF_FIXTURES, "gemma4-dense", "config.json"), "utf8")) as Record<string, unknown>;
    const dir = rewrite("gemma4-dense", "multimodal", {
      prefix: "model.language_model.",
      config: { model_type: "gemma4", architectures: ["Gemma4ForConditionalGeneration"], text_config: text, vision_config: {} },
      edit: (t) => [...t, { name: "model.vision_tower.patch_embed.weight", dtype: "f32", shape: [4, 4], data: new Float32Array(16) }],
    });
    const model = await loadModel(dir);
    const ref = readHfReference("gemma4-dense");
    const logits = await model.logits(ref.inputIds[0]!);
    assert.ok(maxAbsDiff(logits, ref.logits[0]!) <= 1e-4);
    assert.deepEqual(model.info.skippedTensors, ["model.vision_tower.patch_embed.weight"]);
    const described = describeModel(dir);
    assert.equal(described.skippedMultimodalTensors, 1);
    assert.equal(described.textParameters, described.storedParameters - 16);
    model.dispose();
  });

  it("the MLX / old Gemma 3 prefix language_model.model. loads too", async () => {
    const dir = rewrite("gemma3", "mlx", { prefix: "language_model.model." });
    const ref = readHfReference("gemma3");
    const model = await loadModel(dir);
    assert.ok(maxAbsDiff(await model.logits(ref.inputIds[1]!), ref.logits[1]!) <= 1e-4);
    model.dispose();
  });

  it("a tensor whose shape contradicts the config is one clear error naming file, tensor and shapes", async () => {
    const dir = rewrite("gemma3", "bad-shape", {
      edit: (t) => t.map((x) => x.name === "model.layers.1.mlp.up_proj.weight" ? { ...x, shape: [64, 128], data: x.data } : x),
    });
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof BadFileError &&
      /model\.safetensors: tensor model\.layers\.1\.mlp\.up_proj\.weight has shape \[64, 128\] but the config implies \[128, 64\]/.test(e.message));
  });

  it("a missing tensor and an integer weight are clear errors", async () => {
    const missing = rewrite("gemma2", "missing", { edit: (t) => t.filter((x) => x.name !== "model.layers.3.self_attn.o_proj.weight") });
    await assert.rejects(loadModel(missing), (e: unknown) => e instanceof BadFileError && /missing tensor model\.layers\.3\.self_attn\.o_proj\.weight/.test(e.message));
    const ints = rewrite("gemma2", "ints", {
      edit: (t) => t.map((x) => x.name === "model.norm.weight" ? { name: x.name, dtype: "i32" as const, shape: x.shape, data: new Int32Array(64) } : x),
    });
    await assert.rejects(loadModel(ints), (e: unknown) => e instanceof UnsupportedError && /model\.norm\.weight has dtype i32/.test(e.message));
  });

  it("no embed_tokens under any known prefix is a clear error", async () => {
    const dir = rewrite("gemma1-mqa", "no-prefix", { prefix: "transformer." });
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof BadFileError && /no embed_tokens\.weight under any known prefix/.test(e.message));
  });
});
