import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SafetensorsFile } from "../formats/safetensors.js";
import { HF_FIXTURES, hfFixtureNames, maxAbsDiff, readHfReference } from "../testing/fixtures.js";
import { TrainableModel } from "./trainable-model.js";

/** Fixtures that carry transformers' training references (train.json + grads.safetensors). */
const withGrads = hfFixtureNames().filter((n) => existsSync(join(HF_FIXTURES, n, "grads.safetensors")));

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

describe("lossAndGradients against transformers", () => {
  it("has fixtures to check", () => assert.ok(withGrads.length >= 6, `only ${withGrads.length} fixtures with grads`));
  for (const name of withGrads) {
    it(`${name}: loss within 1e-5 and every gradient within 1e-4 × its max`, () => {
      const dir = join(HF_FIXTURES, name);
      const expected = JSON.parse(readFileSync(join(dir, "train.json"), "utf8")) as { loss: number };
      const model = TrainableModel.fromFolder(dir);
      const { loss, gradients } = model.lossAndGradients(readHfReference(name).inputIds);
      assert.ok(Math.abs(loss - expected.loss) <= 1e-5, `loss ${loss} vs ${expected.loss}`);
      const file = SafetensorsFile.open(join(dir, "grads.safetensors"));
      try {
        assert.deepEqual([...gradients.keys()].sort(), [...file.tensors.keys()].sort());
        for (const tensorName of file.tensors.keys()) {
          const want = file.read(tensorName).data as Float32Array;
          const got = gradients.get(tensorName)!;
          const scale = maxAbs(want);
          const tolerance = Math.max(1e-4 * scale, 1e-6);
          const diff = maxAbsDiff(got, want);
          assert.ok(diff <= tolerance, `${tensorName}: max |Δ| ${diff} > ${tolerance} (max |grad| ${scale})`);
        }
      } finally {
        file.close();
      }
    });
  }
});

describe("activation recomputation", () => {
  for (const name of ["gemma4-ple-kvshare", "gemma4-moe"]) {
    it(`${name}: per-layer recomputation gives bit-identical loss and gradients`, () => {
      const dir = join(HF_FIXTURES, name);
      const ids = readHfReference(name).inputIds;
      const plain = TrainableModel.fromFolder(dir).lossAndGradients(ids);
      const model = TrainableModel.fromFolder(dir, { recompute: true });
      const recomputed = model.lossAndGradients(ids);
      assert.equal(model.backend.segmentsRecorded, model.config.numLayers, "every layer ran as a checkpoint segment");
      assert.equal(recomputed.loss, plain.loss);
      for (const [tensorName, g] of plain.gradients) assert.deepEqual(recomputed.gradients.get(tensorName), g, tensorName);
    });
  }
});
