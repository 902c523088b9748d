import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readHfConfig } from "../../formats/hf-config.js";
import { SafetensorsCheckpoint } from "../../formats/safetensors-checkpoint.js";
import { SafetensorsFile } from "../../formats/safetensors.js";
import { HF_FIXTURES, maxAbsDiff, readHfReference } from "../../testing/fixtures.js";
import { TrainableModel } from "../trainable-model.js";
import { attachLora } from "./attach-lora.js";
import { LoraMergedSource } from "./lora-merged-source.js";
import { readPeftAdapter, writePeftAdapter } from "./peft-adapter.js";

const DIR = join(HF_FIXTURES, "gemma4-dense");
const ADAPTER = join(DIR, "adapter");

function referenceLogits(): Float32Array[] {
  const file = SafetensorsFile.open(join(DIR, "lora_reference.safetensors"));
  try {
    const t = file.read("logits");
    const per = t.data.length / t.shape[0]!;
    return [0, 1].map((i) => (t.data as Float32Array).slice(i * per, (i + 1) * per));
  } finally {
    file.close();
  }
}

describe("LoRA against PEFT (gemma4-dense adapter, r 4, alpha 8, q/k/v/o/gate/up/down)", () => {
  const ids = readHfReference("gemma4-dense").inputIds;
  const expected = referenceLogits();

  it("reads the PEFT adapter config and tensors", () => {
    const adapter = readPeftAdapter(ADAPTER);
    assert.equal(adapter.spec.rank, 4);
    assert.equal(adapter.spec.alpha, 8);
    assert.equal(adapter.tensors.size, 2 * (4 * 7 + 2 * 6)); // sliding layers: 7 modules; k=v full layers: no v_proj
  });

  it("reproduces PEFT's logits (≤ 1e-4), loss (≤ 1e-5) and every LoRA gradient", () => {
    const model = TrainableModel.fromFolder(DIR);
    const adapter = readPeftAdapter(ADAPTER);
    attachLora(model, adapter.spec, adapter.tensors);
    for (let s = 0; s < 2; s++) {
      const diff = maxAbsDiff(model.logits(ids[s]!), expected[s]!);
      assert.ok(diff <= 1e-4, `sequence ${s}: max |Δlogit| ${diff}`);
    }
    const want = JSON.parse(readFileSync(join(DIR, "lora.json"), "utf8")) as { loss: number };
    const { loss, gradients } = model.lossAndGradients(ids);
    assert.ok(Math.abs(loss - want.loss) <= 1e-5, `loss ${loss} vs ${want.loss}`);
    const file = SafetensorsFile.open(join(DIR, "lora_grads.safetensors"));
    try {
      assert.equal(gradients.size, file.tensors.size, "only LoRA tensors are trainable");
      for (const peftName of file.tensors.keys()) {
        const ours = gradients.get(peftName.replace(".default.weight", ".weight"));
        assert.ok(ours, `no gradient for ${peftName}`);
        const theirs = file.read(peftName).data as Float32Array;
        let scale = 0;
        for (const v of theirs) scale = Math.max(scale, Math.abs(v));
        const diff = maxAbsDiff(ours, theirs);
        assert.ok(diff <= Math.max(1e-4 * scale, 1e-6), `${peftName}: max |Δ| ${diff} (max |grad| ${scale})`);
      }
    } finally {
      file.close();
    }
  });

  it("merged into the base weights, reproduces the adapter's logits within 1e-4", () => {
    const { config } = readHfConfig(DIR);
    const source = new LoraMergedSource(SafetensorsCheckpoint.open(DIR), readPeftAdapter(ADAPTER));
    try {
      assert.equal(source.mergedNames.length, 40);
      const merged = TrainableModel.fromSource(config, source);
      for (let s = 0; s < 2; s++) {
        const diff = maxAbsDiff(merged.logits(ids[s]!), expected[s]!);
        assert.ok(diff <= 1e-4, `sequence ${s}: merged max |Δlogit| ${diff}`);
      }
    } finally {
      source.close();
    }
  });

  it("saves in PEFT's format and loads back with bit-identical logits", () => {
    const out = mkdtempSync(join(tmpdir(), "gemma4-lora-"));
    try {
      const model = TrainableModel.fromFolder(DIR);
      const adapter = readPeftAdapter(ADAPTER);
      const attached = attachLora(model, adapter.spec, adapter.tensors);
      writePeftAdapter(out, attached.spec, attached.weights, DIR);
      const again = TrainableModel.fromFolder(DIR);
      const reread = readPeftAdapter(out);
      assert.deepEqual([...reread.tensors.keys()].sort(), [...adapter.tensors.keys()].sort());
      attachLora(again, reread.spec, reread.tensors);
      assert.deepEqual(again.logits(ids[0]!), model.logits(ids[0]!));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
