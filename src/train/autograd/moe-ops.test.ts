import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { moe as referenceMoe } from "../../backends/reference/moe.js";
import { RefTensor, RefWeight } from "../../backends/reference/tensors.js";
import { SeededRandom } from "../../engine/rng.js";
import { crossEntropyOp } from "./cross-entropy.js";
import { checkGradients, randomParameter, randomVariable } from "./grad-check.js";
import { moeOp } from "./moe-ops.js";
import { Tape, Variable } from "./tape.js";

const TOLERANCE = 1e-2;

describe("mixture of experts: backward matches finite differences", () => {
  for (const [T, E, K, H, Im] of [[2, 4, 2, 5, 3], [3, 6, 3, 8, 4]] as const) {
    it(`T ${T}, ${E} experts top-${K}, H ${H}, expert width ${Im}`, () => {
      const rng = new SeededRandom((T * E) * 1000003 + 17);
      const x = randomVariable(rng, [T, H]);
      // Router logits far apart so a small step never changes which experts are chosen.
      const logits = new Variable([T, E], Float32Array.from({ length: T * E }, (_, i) => ((i * 7) % E) * 0.9 + rng.nextFloat() * 0.05), true);
      const scale = randomParameter(rng, [E]);
      const gateUp = randomParameter(rng, [E, 2 * Im, H]);
      const down = randomParameter(rng, [E, H, Im]);
      const params = { topK: K, activation: "gelu_tanh" as const };
      const r = checkGradients((t) => moeOp(t, x, logits, scale, gateUp, down, params), [x, logits, scale, gateUp, down], { epsilon: 3e-3 });
      assert.ok(r.worst < TOLERANCE, r.where);
      const ref = referenceMoe(new RefTensor(x.shape, x.data), new RefTensor(logits.shape, logits.data), new RefWeight(scale.shape, "f32", scale.data),
        new RefWeight(gateUp.shape, "f32", gateUp.data), new RefWeight(down.shape, "f32", down.data), params).data;
      const ours = moeOp(new Tape(), x, logits, scale, gateUp, down, params).data;
      for (let i = 0; i < ref.length; i++) assert.equal(ours[i], ref[i]);
    });
  }
});

describe("cross-entropy: backward matches finite differences", () => {
  it("with ignored targets and a weight", () => {
    const rng = new SeededRandom(3 * 1000003 + 18);
    const logits = randomVariable(rng, [5, 11], 3);
    const targets = Int32Array.of(3, -1, 10, 0, -1);
    const r = checkGradients((t) => crossEntropyOp(t, logits, targets, 0.25).loss, [logits]);
    assert.ok(r.worst < TOLERANCE, r.where);
    const { sum, count } = crossEntropyOp(new Tape(), logits, targets, 1);
    assert.equal(count, 3);
    let want = 0;
    for (const [t, y] of [[0, 3], [2, 10], [3, 0]] as const) {
      let z = 0;
      for (let v = 0; v < 11; v++) z += Math.exp(logits.data[t * 11 + v]!);
      want += Math.log(z) - logits.data[t * 11 + y]!;
    }
    assert.ok(Math.abs(sum - want) < 1e-9);
  });
});
