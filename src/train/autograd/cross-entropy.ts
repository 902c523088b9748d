/**
 * Token cross-entropy on logits [T, V]: Σ_t weight·(logsumexp(logits_t) − logits_t[target_t]) over rows
 * whose target is not IGNORE_TARGET. Its gradient is weight·(softmax − onehot). Computed in doubles.
 */
import { type Tape, Variable } from "./tape.js";

/** Target value of a row that contributes no loss (padding, or a user turn in chat data). */
export const IGNORE_TARGET = -1;

export interface CrossEntropyResult {
  /** The weighted loss as a [1] Variable to call backward from. */
  readonly loss: Variable;
  /** Unweighted Σ cross-entropy over counted rows. */
  readonly sum: number;
  /** Rows counted. */
  readonly count: number;
}

export function crossEntropyOp(tape: Tape, logits: Variable, targets: Int32Array, weight: number): CrossEntropyResult {
  const T = logits.rows;
  const V = logits.cols;
  if (targets.length !== T) throw new Error(`crossEntropy: ${targets.length} targets for ${T} rows`);
  // exp(logit − max) of every counted row, kept for the backward pass (it needs softmax = that / Σ).
  const exps = logits.requiresGrad ? new Float64Array(T * V) : null;
  const rowSum = new Float64Array(T);
  let sum = 0;
  let count = 0;
  for (let t = 0; t < T; t++) {
    const target = targets[t]!;
    if (target === IGNORE_TARGET) continue;
    if (!(target >= 0 && target < V)) throw new RangeError(`target id ${target} is outside the vocabulary (0..${V - 1})`);
    const base = t * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits.data[base + v]!);
    let s = 0;
    if (exps) {
      for (let v = 0; v < V; v++) s += exps[base + v] = Math.exp(logits.data[base + v]! - max);
    } else {
      for (let v = 0; v < V; v++) s += Math.exp(logits.data[base + v]! - max);
    }
    rowSum[t] = s;
    sum += max + Math.log(s) - logits.data[base + target]!;
    count++;
  }
  const loss = new Variable([1], Float32Array.of(sum * weight), logits.requiresGrad);
  if (loss.requiresGrad) {
    tape.record(() => {
      const g = loss.grad;
      if (!g) return;
      const scale = g[0]! * weight;
      const d = logits.gradBuffer();
      for (let t = 0; t < T; t++) {
        const target = targets[t]!;
        if (target === IGNORE_TARGET) continue;
        const base = t * V;
        const k = scale / rowSum[t]!;
        for (let v = 0; v < V; v++) d[base + v] += k * exps![base + v]!;
        d[base + target] -= scale;
      }
    });
  }
  return { loss, sum, count };
}
