import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../../engine/rng.js";
import {
  addOp, concatRowsOp, gatedActivationOp, mulOp, scaleByWeightOp, scaleOp, sliceColumnsOp, sliceRowsOp, softcapOp,
} from "./elementwise-ops.js";
import { checkGradients, randomParameter, randomVariable } from "./grad-check.js";

const TOLERANCE = 1e-2;

function shape(rng: SeededRandom): [number, number] {
  return [1 + Math.floor(rng.nextFloat() * 5), 1 + Math.floor(rng.nextFloat() * 33)];
}

describe("elementwise ops: backward matches finite differences", () => {
  for (let seed = 1; seed <= 3; seed++) {
    const rng = new SeededRandom(seed * 1000003 + 11);
    const s = shape(rng);
    it(`add, mul, scale on [${s}]`, () => {
      const a = randomVariable(rng, s);
      const b = randomVariable(rng, s);
      for (const f of [
        (t: Parameters<typeof addOp>[0]) => addOp(t, a, b),
        (t: Parameters<typeof addOp>[0]) => mulOp(t, a, b),
        (t: Parameters<typeof addOp>[0]) => scaleOp(t, a, 0.37),
        (t: Parameters<typeof addOp>[0]) => mulOp(t, a, a), // the same input twice accumulates both paths
      ]) {
        const { worst, where } = checkGradients(f, [a, b]);
        assert.ok(worst < TOLERANCE, where);
      }
    });
    it(`scaleByWeight and softcap on [${s}]`, () => {
      const x = randomVariable(rng, s, 3);
      const w = randomParameter(rng, [1]);
      assert.ok(checkGradients((t) => scaleByWeightOp(t, x, w), [x, w]).worst < TOLERANCE);
      const r = checkGradients((t) => softcapOp(t, x, 2.5), [x]);
      assert.ok(r.worst < TOLERANCE, r.where);
    });
    it(`gated GELU (tanh and exact) on [${s}]`, () => {
      const gate = randomVariable(rng, s, 3);
      const up = randomVariable(rng, s);
      for (const act of ["gelu_tanh", "gelu_exact"] as const) {
        const r = checkGradients((t) => gatedActivationOp(t, gate, up, act), [gate, up]);
        assert.ok(r.worst < TOLERANCE, `${act}: ${r.where}`);
      }
    });
    it(`row and column slices of [${s}]`, () => {
      const x = randomVariable(rng, [s[0] + 2, s[1] + 2]);
      const rows = checkGradients((t) => sliceRowsOp(t, x, 1, s[0]), [x]);
      const cols = checkGradients((t) => sliceColumnsOp(t, x, 2, s[1]), [x]);
      assert.ok(rows.worst < TOLERANCE && cols.worst < TOLERANCE, rows.where + cols.where);
      const y = randomVariable(rng, [2, s[1] + 2]);
      const cat = checkGradients((t) => concatRowsOp(t, [x, y, x]), [x, y]);
      assert.ok(cat.worst < TOLERANCE, cat.where);
    });
  }
});
