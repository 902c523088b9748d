import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Parameter } from "../autograd/parameter.js";
import { AdamW } from "./adamw.js";
import { clipGradients } from "./clip-gradients.js";
import { learningRate } from "./lr-schedule.js";

function param(name: string, shape: number[], values: number[]): Parameter {
  const p = new Parameter(shape, Float32Array.from(values), "f32", true);
  p.name = name;
  return p;
}

describe("AdamW", () => {
  it("matches torch.optim.AdamW's formula step by step (decay on matrices only)", () => {
    const w = param("w", [1, 2], [0.5, -1]);
    const b = param("b", [2], [0.1, 0.2]);
    const opt = new AdamW([w, b], { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
    const grads = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.05]];
    const ref = { theta: [0.5, -1], m: [0, 0], v: [0, 0] };
    const refBias = [0.1, 0.2];
    grads.forEach((g, t) => {
      w.gradBuffer().set(g);
      b.gradBuffer().set(g);
      opt.update(1e-2);
      for (let i = 0; i < 2; i++) {
        ref.theta[i]! *= 1 - 1e-2 * 0.01;
        ref.m[i] = 0.9 * ref.m[i]! + 0.1 * g[i]!;
        ref.v[i] = 0.999 * ref.v[i]! + 0.001 * g[i]! * g[i]!;
        const mHat = ref.m[i]! / (1 - 0.9 ** (t + 1));
        const vHat = ref.v[i]! / (1 - 0.999 ** (t + 1));
        ref.theta[i]! -= (1e-2 * mHat) / (Math.sqrt(vHat) + 1e-8);
        refBias[i]! -= (1e-2 * mHat) / (Math.sqrt(vHat) + 1e-8); // no decay on 1-D tensors
        assert.ok(Math.abs(w.data[i]! - ref.theta[i]!) < 1e-6, `step ${t} w[${i}]`);
        assert.ok(Math.abs(b.data[i]! - refBias[i]!) < 1e-6, `step ${t} b[${i}]`);
      }
    });
  });

  it("saves and restores its state exactly", () => {
    const a = param("w", [2, 1], [1, 2]);
    const optA = new AdamW([a]);
    a.gradBuffer().set([0.5, -0.5]);
    optA.update(0.1);
    const b = param("w", [2, 1], [...a.data]);
    const optB = new AdamW([b]);
    optB.loadState(optA.state());
    a.gradBuffer().set([0.2, 0.3]);
    b.gradBuffer().set([0.2, 0.3]);
    optA.update(0.1);
    optB.update(0.1);
    assert.deepEqual(b.data, a.data);
  });
});

describe("gradient clipping and the learning-rate schedule", () => {
  it("clips to the global norm", () => {
    const a = param("a", [2], [0, 0]);
    const b = param("b", [1], [0]);
    a.gradBuffer().set([3, 0]);
    b.gradBuffer().set([4]);
    assert.equal(clipGradients([a, b], 1), 5);
    assert.ok(Math.abs(Math.hypot(a.grad![0]!, b.grad![0]!) - 1) < 1e-5);
    assert.ok(Math.abs(clipGradients([a, b], 10) - 1) < 1e-5, "below the limit: unchanged");
  });

  it("warms up linearly, then decays along a cosine to the floor", () => {
    const s = { peak: 1e-3, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
    assert.ok(Math.abs(learningRate(s, 0) - 1e-4) < 1e-12);
    assert.ok(Math.abs(learningRate(s, 9) - 1e-3) < 1e-12);
    assert.ok(Math.abs(learningRate(s, 60) - 0.55e-3) < 1e-9, "halfway: mean of peak and floor");
    assert.ok(Math.abs(learningRate(s, 110) - 1e-4) < 1e-12);
    assert.ok(Math.abs(learningRate(s, 500) - 1e-4) < 1e-12);
  });
});
