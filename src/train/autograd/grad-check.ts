/**
 * Finite-difference gradient checking for the op tests: the analytic gradient of L = Σ r ⊙ f(inputs)
 * (r a fixed random projection) against central differences (L(θ+ε) − L(θ−ε)) / 2ε, element by element on
 * a random sample of each input. Forward values are float32, so ε is large-ish (1e-2) and the tolerance is
 * relative to the tensor's largest gradient.
 */
import { SeededRandom } from "../../engine/rng.js";
import { Parameter } from "./parameter.js";
import { Tape, Variable } from "./tape.js";

export type Differentiable = Variable | Parameter;

export interface GradCheckResult {
  /** Largest |analytic − numeric| / (max |analytic| of that tensor + floor), over every checked tensor. */
  readonly worst: number;
  readonly where: string;
}

export function randomArray(rng: SeededRandom, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.nextFloat() * 2 - 1) * scale;
  return out;
}

export function randomVariable(rng: SeededRandom, shape: readonly number[], scale = 1): Variable {
  return new Variable(shape, randomArray(rng, shape.reduce((a, b) => a * b, 1), scale), true);
}

export function randomParameter(rng: SeededRandom, shape: readonly number[], scale = 1): Parameter {
  return new Parameter(shape, randomArray(rng, shape.reduce((a, b) => a * b, 1), scale), "f32", true);
}

export function checkGradients(
  f: (tape: Tape) => Variable,
  wrt: readonly Differentiable[],
  options: { seed?: number; epsilon?: number; samples?: number; floor?: number } = {},
): GradCheckResult {
  const rng = new SeededRandom((options.seed ?? 1) * 1000003 + 3);
  const eps = options.epsilon ?? 1e-2;
  const samples = options.samples ?? 24;
  const floor = options.floor ?? 1e-3;
  for (const x of wrt) x.grad = null;
  const tape = new Tape();
  const out = f(tape);
  const r = randomArray(rng, out.data.length);
  out.gradBuffer().set(r);
  tape.backward();
  const objective = (): number => {
    const y = f(new Tape()).data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += r[i]! * y[i]!;
    return s;
  };
  let worst = 0;
  let where = "";
  wrt.forEach((x, k) => {
    const analytic = x.grad ?? new Float32Array(x.data.length);
    let scale = 0;
    for (const v of analytic) scale = Math.max(scale, Math.abs(v));
    const n = x.data.length;
    const picks = n <= samples ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: samples }, () => Math.floor(rng.nextFloat() * n));
    for (const i of picks) {
      const saved = x.data[i]!;
      x.data[i] = saved + eps;
      const plus = objective();
      x.data[i] = saved - eps;
      const minus = objective();
      x.data[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      const err = Math.abs(numeric - analytic[i]!) / (scale + floor);
      if (err > worst) {
        worst = err;
        where = `input ${k} element ${i}: analytic ${analytic[i]} numeric ${numeric}`;
      }
    }
  });
  return { worst, where };
}
