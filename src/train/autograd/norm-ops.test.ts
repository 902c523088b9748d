import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../../engine/rng.js";
import { checkGradients, randomParameter, randomVariable } from "./grad-check.js";
import { rmsNormOp } from "./norm-ops.js";
import { ropeOp } from "./rope-ops.js";

const TOLERANCE = 1e-2;

describe("rmsNorm: backward matches finite differences", () => {
  for (const form of ["scale", "one-plus", "none"] as const) {
    for (const [T, groups, dim] of [[1, 1, 5], [3, 4, 8], [2, 1, 33]] as const) {
      it(`${form}, [${T}, ${groups}×${dim}] normed in groups of ${dim}`, () => {
        const rng = new SeededRandom((T * 7 + dim) * 1000003 + 13);
        const x = randomVariable(rng, [T, groups * dim], 2);
        const w = form === "none" ? null : randomParameter(rng, [dim]);
        const r = checkGradients((t) => rmsNormOp(t, x, w, form, 1e-6, dim), w ? [x, w] : [x]);
        assert.ok(r.worst < TOLERANCE, r.where);
      });
    }
  }
});

describe("rope: backward matches finite differences", () => {
  for (const [T, heads, d] of [[1, 1, 2], [4, 3, 8], [5, 2, 16]] as const) {
    it(`[${T}, ${heads}×${d}], some pairs unrotated`, () => {
      const rng = new SeededRandom((T + heads + d) * 1000003 + 14);
      const x = randomVariable(rng, [T, heads * d]);
      const invFreq = Float32Array.from({ length: d / 2 }, (_, j) => (j === d / 2 - 1 && d > 2 ? 0 : 1 / 10000 ** ((2 * j) / d)));
      const positions = Int32Array.from({ length: T }, (_, t) => 3 + t * 5);
      const r = checkGradients((t) => ropeOp(t, x, positions, invFreq, d), [x]);
      assert.ok(r.worst < TOLERANCE, r.where);
    });
  }
});
