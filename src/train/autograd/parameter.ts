/**
 * Weights on the training backend. A `Parameter` is a float32 master copy of one checkpoint tensor with a
 * gradient accumulator; `LoraWeight` wraps a frozen base with a low-rank update (PEFT's LoRA), so the
 * decoder, which only ever calls `matmul(x, w)`, runs LoRA without knowing about it.
 */
import type { Weight, WeightDtype } from "../../backends/ops.js";

export class Parameter implements Weight {
  /** Training computes in float32: `data` is always float32, whatever the checkpoint stored. */
  readonly dtype = "f32" as const;
  grad: Float32Array | null = null;
  /** Checkpoint name (with its prefix, e.g. "model.layers.0.self_attn.q_proj.weight"); set after loading. */
  name = "";

  constructor(
    readonly shape: readonly number[],
    readonly data: Float32Array,
    /** What the checkpoint stored, so a saved model can keep it. */
    readonly storedDtype: WeightDtype,
    public trainable: boolean,
  ) {}

  get size(): number {
    return this.data.length;
  }

  gradBuffer(): Float32Array {
    return (this.grad ??= new Float32Array(this.data.length));
  }

  zeroGrad(): void {
    this.grad?.fill(0);
  }
}

export interface LoraSettings {
  readonly rank: number;
  readonly alpha: number;
  readonly dropout: number;
}

/**
 * y = x·Wᵀ + (α/r)·(dropout(x)·Aᵀ)·Bᵀ with A [r, in] and B [out, r], as PEFT's `Linear` computes
 * `result + lora_B(lora_A(dropout(x))) * scaling`.
 */
export class LoraWeight implements Weight {
  constructor(
    readonly base: Parameter,
    readonly loraA: Parameter,
    readonly loraB: Parameter,
    readonly scaling: number,
    readonly dropout: number,
  ) {
    const [out, inDim] = base.shape as [number, number];
    const r = loraA.shape[0]!;
    if (loraA.shape[1] !== inDim || loraB.shape[0] !== out || loraB.shape[1] !== r) {
      throw new Error(`LoRA shapes A [${loraA.shape}] B [${loraB.shape}] do not fit base [${base.shape}]`);
    }
  }

  get shape(): readonly number[] {
    return this.base.shape;
  }

  get dtype(): "f32" {
    return "f32";
  }
}

export type TrainWeight = Parameter | LoraWeight;

export function asTrainWeight(w: Weight): TrainWeight {
  if (w instanceof Parameter || w instanceof LoraWeight) return w;
  throw new Error("weight does not belong to the training backend");
}

export function asParameter(w: Weight): Parameter {
  if (w instanceof Parameter) return w;
  throw new Error("expected a plain parameter (LoRA applies to Linear weights only)");
}
