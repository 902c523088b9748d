import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RefKvStore, RefTensor } from "../../backends/reference/tensors.js";
import { attention as referenceAttention, writeKv as referenceWriteKv } from "../../backends/reference/attention.js";
import type { AttentionParams } from "../../backends/ops.js";
import { SeededRandom } from "../../engine/rng.js";
import { attentionOp, GradKvStore, writeKvOp } from "./attention-ops.js";
import { checkGradients, randomVariable } from "./grad-check.js";
import { addOp } from "./elementwise-ops.js";
import type { Tape } from "./tape.js";

const TOLERANCE = 1e-2;

const cases: { name: string; T: number; nH: number; nKV: number; d: number; window: number | null; softcap: number | null }[] = [
  { name: "causal MHA", T: 5, nH: 2, nKV: 2, d: 4, window: null, softcap: null },
  { name: "GQA, sliding window 3", T: 7, nH: 4, nKV: 2, d: 8, window: 3, softcap: null },
  { name: "MQA with logit softcap", T: 6, nH: 3, nKV: 1, d: 6, window: null, softcap: 5 },
];

describe("attention: backward matches finite differences (gradients reach the written k and v)", () => {
  for (const c of cases) {
    const params: AttentionParams = { numHeads: c.nH, numKvHeads: c.nKV, headDim: c.d, scale: 0.7, softcap: c.softcap, window: c.window };
    const positions = Int32Array.from({ length: c.T }, (_, t) => t);
    it(`${c.name}: T ${c.T}, ${c.nH}/${c.nKV} heads × ${c.d}`, () => {
      const rng = new SeededRandom((c.T * 31 + c.d) * 1000003 + 15);
      const q = randomVariable(rng, [c.T, c.nH * c.d]);
      const k = randomVariable(rng, [c.T, c.nKV * c.d]);
      const v = randomVariable(rng, [c.T, c.nKV * c.d]);
      const run = (tape: Tape) => {
        const store = new GradKvStore(c.nKV, c.d, c.T + 2);
        writeKvOp(store, k, v, positions.map((p) => (p + 1) % (c.T + 2)), positions, false);
        // A second reader of the same store (as a KV-shared layer is) adds its own gradient to k and v.
        return addOp(tape, attentionOp(tape, q, store, positions, params), attentionOp(tape, v.cols === q.cols ? v : q, store, positions, params));
      };
      const r = checkGradients(run, [q, k, v]);
      assert.ok(r.worst < TOLERANCE, r.where);
    });
    it(`${c.name}: forward equals the reference backend`, () => {
      const rng = new SeededRandom(c.T * 1000003 + 16);
      const q = randomVariable(rng, [c.T, c.nH * c.d]);
      const k = randomVariable(rng, [c.T, c.nKV * c.d]);
      const v = randomVariable(rng, [c.T, c.nKV * c.d]);
      const store = new GradKvStore(c.nKV, c.d, c.T);
      writeKvOp(store, k, v, positions, positions, false);
      const ours = attentionOp({ record() {} } as unknown as Tape, q, store, positions, params).data;
      const refStore = new RefKvStore(c.nKV, c.d, c.T);
      referenceWriteKv(refStore, new RefTensor(k.shape, k.data), new RefTensor(v.shape, v.data), positions, positions);
      const ref = referenceAttention(new RefTensor(q.shape, q.data), refStore, positions, params).data;
      for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ours[i]! - ref[i]!) <= 1e-6, `element ${i}: ${ours[i]} vs ${ref[i]}`);
    });
  }
});
