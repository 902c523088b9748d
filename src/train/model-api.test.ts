import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadModel } from "../api/load-model.js";
import { SafetensorsFile } from "../formats/safetensors.js";
import { HF_FIXTURES, maxAbsDiff, readHfReference } from "../testing/fixtures.js";

const DIR = join(HF_FIXTURES, "gemma4-dense");

describe("public API: training and adapters through Model", () => {
  const ids = readHfReference("gemma4-dense").inputIds;

  it("model.lossAndGradients(ids) gives transformers' loss and checkpoint-named gradients", async () => {
    const model = await loadModel(DIR);
    try {
      const { loss, gradients } = await model.lossAndGradients(ids);
      const want = JSON.parse(readFileSync(join(DIR, "train.json"), "utf8")) as { loss: number };
      assert.ok(Math.abs(loss - want.loss) <= 1e-5, `loss ${loss} vs ${want.loss}`);
      assert.ok(gradients.has("model.embed_tokens.weight") && gradients.has("model.layers.0.self_attn.q_proj.weight"));
    } finally {
      model.dispose();
    }
  });

  it("loadModel(dir, { lora }) serves the adapter's logits (merged at load) within 1e-4 of PEFT's", async () => {
    const model = await loadModel(DIR, { lora: join(DIR, "adapter") });
    try {
      const file = SafetensorsFile.open(join(DIR, "lora_reference.safetensors"));
      const logits = file.read("logits").data as Float32Array;
      file.close();
      const ours = await model.logits(ids[0]!);
      const diff = maxAbsDiff(ours, logits.subarray(0, ours.length));
      assert.ok(diff <= 1e-4, `max |Δlogit| ${diff}`);
      const { gradients } = await model.lossAndGradients(ids);
      assert.ok([...gradients.keys()].every((n) => /lora_[AB]\.weight$/.test(n)), "with an adapter only LoRA tensors train");
    } finally {
      model.dispose();
    }
  });
});
