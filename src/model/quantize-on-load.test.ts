import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import { loadModel } from "../api/load-model.js";
import { ReferenceBackend } from "../backends/reference/reference-backend.js";
import { HF_FIXTURES, maxAbsDiff, readHfReference } from "../testing/fixtures.js";
import { isQuantizedSlot, quantFormatFor } from "./quantize-on-load.js";

describe("quantize on load", () => {
  it("picks matrices only, with llama.cpp's fallbacks for rows that are not whole blocks", () => {
    assert.equal(isQuantizedSlot("layers.3.mlp.up"), true);
    assert.equal(isQuantizedSlot("embedTokens"), true);
    assert.equal(isQuantizedSlot("layers.0.inputNorm"), false);
    assert.equal(isQuantizedSlot("layers.0.moe.routerProj"), false);
    assert.equal(quantFormatFor("q4_k", 1536), "q4_k");
    assert.equal(quantFormatFor("q4_k", 1152), "q5_0");
    assert.equal(quantFormatFor("q6_k", 64), "q8_0");
    assert.equal(quantFormatFor("q8_0", 48), null);
  });

  it("a Q8_0-on-load model stays close to the float model (reference backend)", async () => {
    const dir = join(HF_FIXTURES, "gemma3");
    const ref = readHfReference("gemma3");
    const model = await loadModel(dir, { backend: new ReferenceBackend(), quant: "q8_0" });
    const logits = await model.logits(ref.inputIds[0]!);
    model.dispose();
    const d = maxAbsDiff(logits, ref.logits[0]!);
    // Measured 5.7e-2 (8-bit weights of a 64-wide random model); float would be < 1e-4.
    assert.ok(d > 1e-4 && d < 0.15, `max |Δlogit| ${d.toExponential(2)}`);
  });
});
