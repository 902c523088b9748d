/**
 * Reverse-mode automatic differentiation as a tape of closures: every op that produces a `Variable` needing
 * a gradient records a closure that, given the output's gradient, adds its contribution to the inputs'
 * gradients. `backward()` runs the closures newest first. Gradients are float32 and accumulate (+=), so a
 * value used twice (a residual, a tied embedding) collects both contributions.
 */
import type { Tensor } from "../../backends/ops.js";

/** An activation on the training backend: float32 values [rows, cols] plus an optional gradient. */
export class Variable implements Tensor {
  /** d loss / d this, allocated on first use. */
  grad: Float32Array | null = null;

  constructor(readonly shape: readonly number[], readonly data: Float32Array, readonly requiresGrad: boolean) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`shape [${shape}] does not match ${data.length} values`);
  }

  get rows(): number {
    return this.shape[0]!;
  }

  get cols(): number {
    return this.data.length / this.shape[0]!;
  }

  /** The gradient buffer, zero-filled when first asked for. */
  gradBuffer(): Float32Array {
    return (this.grad ??= new Float32Array(this.data.length));
  }
}

export type BackwardFn = () => void;

export class Tape {
  private entries: BackwardFn[] = [];

  record(backward: BackwardFn): void {
    this.entries.push(backward);
  }

  get length(): number {
    return this.entries.length;
  }

  /** Runs every recorded closure newest first, then forgets them (and the activations they held). */
  backward(): void {
    const entries = this.entries;
    this.entries = [];
    for (let i = entries.length - 1; i >= 0; i--) {
      entries[i]!();
      entries[i] = noop; // let the activations it captured be collected as we go
    }
  }

  /** Drops every recorded closure without running it. */
  clear(): void {
    this.entries = [];
  }
}

function noop(): void {}

/** dst += src, elementwise. */
export function accumulate(dst: Float32Array, src: Float32Array): void {
  if (dst.length !== src.length) throw new Error(`gradient of ${src.length} values added to ${dst.length}`);
  for (let i = 0; i < dst.length; i++) dst[i] += src[i]!;
}
