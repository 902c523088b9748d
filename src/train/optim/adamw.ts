/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), as torch.optim.AdamW computes it:
 *   θ ← θ − lr·λ·θ;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   θ ← θ − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε).
 * Weight decay applies to matrices only (embeddings and projections), not to norm weights or scalars, the
 * usual practice for transformers. State is plain float32 arrays keyed by parameter name, so it saves and
 * resumes exactly.
 */
import type { Parameter } from "../autograd/parameter.js";

export interface AdamWSettings {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWSettings = { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 };

export interface AdamWState {
  /** Updates done so far (t). */
  readonly step: number;
  readonly firstMoment: ReadonlyMap<string, Float32Array>;
  readonly secondMoment: ReadonlyMap<string, Float32Array>;
}

export class AdamW {
  private stepCount = 0;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  constructor(private readonly parameters: readonly Parameter[], readonly settings: AdamWSettings = DEFAULT_ADAMW) {
    for (const p of parameters) {
      if (!p.trainable) continue;
      this.m.set(p.name, new Float32Array(p.size));
      this.v.set(p.name, new Float32Array(p.size));
    }
  }

  get step(): number {
    return this.stepCount;
  }

  /** One update of every trainable parameter from its `grad`, at learning rate `lr`. */
  update(lr: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    this.stepCount++;
    const c1 = 1 - beta1 ** this.stepCount;
    const c2 = 1 - beta2 ** this.stepCount;
    for (const p of this.parameters) {
      if (!p.trainable || !p.grad) continue;
      const m = this.m.get(p.name)!;
      const v = this.v.get(p.name)!;
      const g = p.grad;
      const theta = p.data;
      const decay = p.shape.length >= 2 ? 1 - lr * weightDecay : 1;
      const stepSize = lr / c1;
      const sqrtC2 = Math.sqrt(c2);
      for (let i = 0; i < theta.length; i++) {
        const gi = g[i]!;
        const mi = (m[i] = beta1 * m[i]! + (1 - beta1) * gi);
        const vi = (v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi);
        theta[i] = theta[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtC2 + epsilon);
      }
    }
  }

  state(): AdamWState {
    return { step: this.stepCount, firstMoment: this.m, secondMoment: this.v };
  }

  loadState(state: AdamWState): void {
    this.stepCount = state.step;
    for (const [name, m] of this.m) {
      const savedM = state.firstMoment.get(name);
      const savedV = state.secondMoment.get(name);
      if (!savedM || !savedV || savedM.length !== m.length || savedV.length !== m.length) throw new Error(`optimizer state lacks ${name} or has the wrong size`);
      m.set(savedM);
      this.v.get(name)!.set(savedV);
    }
  }
}
