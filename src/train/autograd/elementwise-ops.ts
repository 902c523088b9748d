/**
 * Elementwise ops and slices with their gradients: add, mul, scale, scale by a [1] weight (Gemma 4's
 * layer_scalar), softcap c·tanh(x/c), the gated GELU act(gate)⊙up, row/column slices and row concatenation.
 */
import type { Activation } from "../../backends/ops.js";
import { erf, geluExact, geluTanh, softcap } from "../../backends/reference/math.js";
import type { Parameter } from "./parameter.js";
import { accumulate, type Tape, Variable } from "./tape.js";

function sameSize(a: Variable, b: Variable): void {
  if (a.data.length !== b.data.length) throw new Error(`shapes [${a.shape}] and [${b.shape}] differ`);
}

export function addOp(tape: Tape, a: Variable, b: Variable): Variable {
  sameSize(a, b);
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i]! + b.data[i]!;
  const out = new Variable(a.shape, data, a.requiresGrad || b.requiresGrad);
  if (out.requiresGrad) {
    tape.record(() => {
      if (!out.grad) return;
      if (a.requiresGrad) accumulate(a.gradBuffer(), out.grad);
      if (b.requiresGrad) accumulate(b.gradBuffer(), out.grad);
    });
  }
  return out;
}

export function mulOp(tape: Tape, a: Variable, b: Variable): Variable {
  sameSize(a, b);
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i]! * b.data[i]!;
  const out = new Variable(a.shape, data, a.requiresGrad || b.requiresGrad);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      if (a.requiresGrad) { const d = a.gradBuffer(); for (let i = 0; i < d.length; i++) d[i] += g[i]! * b.data[i]!; }
      if (b.requiresGrad) { const d = b.gradBuffer(); for (let i = 0; i < d.length; i++) d[i] += g[i]! * a.data[i]!; }
    });
  }
  return out;
}

export function scaleOp(tape: Tape, x: Variable, factor: number): Variable {
  const f = Math.fround(factor);
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = x.data[i]! * f;
  const out = new Variable(x.shape, data, x.requiresGrad);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      const d = x.gradBuffer();
      for (let i = 0; i < d.length; i++) d[i] += g[i]! * f;
    });
  }
  return out;
}

/** x · s with s the single value of a [1] weight. */
export function scaleByWeightOp(tape: Tape, x: Variable, scalar: Parameter): Variable {
  if (scalar.data.length !== 1) throw new Error(`scaleByWeight: weight [${scalar.shape}] is not a scalar`);
  const s = scalar.data[0]!;
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = x.data[i]! * s;
  const out = new Variable(x.shape, data, x.requiresGrad || scalar.trainable);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      if (x.requiresGrad) { const d = x.gradBuffer(); for (let i = 0; i < d.length; i++) d[i] += g[i]! * s; }
      if (scalar.trainable) {
        let sum = 0;
        for (let i = 0; i < g.length; i++) sum += g[i]! * x.data[i]!;
        scalar.gradBuffer()[0] += sum;
      }
    });
  }
  return out;
}

/** c·tanh(x/c); d/dx = 1 − tanh²(x/c) = 1 − (y/c)². */
export function softcapOp(tape: Tape, x: Variable, cap: number): Variable {
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = softcap(x.data[i]!, cap);
  const out = new Variable(x.shape, data, x.requiresGrad);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      // From the output, as torch's tanh backward does (no second tanh per logit).
      const d = x.gradBuffer();
      const y = out.data;
      const inv = 1 / cap;
      for (let i = 0; i < d.length; i++) {
        const t = y[i]! * inv;
        d[i] += g[i]! * (1 - t * t);
      }
    });
  }
  return out;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** d/dx of gelu_pytorch_tanh. */
export function geluTanhDerivative(x: number): number {
  const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  const t = Math.tanh(u);
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
}

/** d/dx of exact GELU x·Φ(x): Φ(x) + x·φ(x). */
export function geluExactDerivative(x: number): number {
  return 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

export function gatedActivationOp(tape: Tape, gate: Variable, up: Variable, activation: Activation): Variable {
  sameSize(gate, up);
  const act = activation === "gelu_tanh" ? geluTanh : geluExact;
  const actDerivative = activation === "gelu_tanh" ? geluTanhDerivative : geluExactDerivative;
  const data = new Float32Array(gate.data.length);
  for (let i = 0; i < data.length; i++) data[i] = act(gate.data[i]!) * up.data[i]!;
  const out = new Variable(gate.shape, data, gate.requiresGrad || up.requiresGrad);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      if (activation === "gelu_tanh" && gate.requiresGrad && up.requiresGrad) {
        // Both gradients from one tanh per value (the common case: every GeGLU MLP).
        const dg = gate.gradBuffer();
        const du = up.gradBuffer();
        for (let i = 0; i < dg.length; i++) {
          const x = gate.data[i]!;
          const t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
          const a = Math.fround(0.5 * x * (1 + t));
          const da = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
          dg[i] += g[i]! * up.data[i]! * da;
          du[i] += g[i]! * a;
        }
        return;
      }
      if (gate.requiresGrad) {
        const d = gate.gradBuffer();
        for (let i = 0; i < d.length; i++) d[i] += g[i]! * up.data[i]! * actDerivative(gate.data[i]!);
      }
      if (up.requiresGrad) {
        const d = up.gradBuffer();
        for (let i = 0; i < d.length; i++) d[i] += g[i]! * act(gate.data[i]!);
      }
    });
  }
  return out;
}

export function sliceRowsOp(tape: Tape, x: Variable, start: number, count: number): Variable {
  if (start < 0 || start + count > x.rows) throw new Error(`sliceRows: rows ${start}..${start + count} of ${x.rows}`);
  const cols = x.cols;
  const out = new Variable([count, ...x.shape.slice(1)], x.data.slice(start * cols, (start + count) * cols), x.requiresGrad);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      const d = x.gradBuffer();
      for (let i = 0; i < g.length; i++) d[start * cols + i] += g[i]!;
    });
  }
  return out;
}

export function sliceColumnsOp(tape: Tape, x: Variable, start: number, count: number): Variable {
  const cols = x.cols;
  if (start < 0 || start + count > cols) throw new Error(`sliceColumns: columns ${start}..${start + count} of ${cols}`);
  const data = new Float32Array(x.rows * count);
  for (let t = 0; t < x.rows; t++) data.set(x.data.subarray(t * cols + start, t * cols + start + count), t * count);
  const out = new Variable([x.rows, count], data, x.requiresGrad);
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      const d = x.gradBuffer();
      for (let t = 0; t < x.rows; t++) for (let c = 0; c < count; c++) d[t * cols + start + c] += g[t * count + c]!;
    });
  }
  return out;
}

/** Rows of every part, stacked: [ΣT, N]. */
export function concatRowsOp(tape: Tape, parts: readonly Variable[]): Variable {
  if (parts.length === 0) throw new Error("concatRows: no parts");
  const cols = parts[0]!.cols;
  let rows = 0;
  for (const p of parts) {
    if (p.cols !== cols) throw new Error(`concatRows: [${p.shape}] does not have ${cols} columns`);
    rows += p.rows;
  }
  const data = new Float32Array(rows * cols);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  const out = new Variable([rows, ...parts[0]!.shape.slice(1)], data, parts.some((p) => p.requiresGrad));
  if (out.requiresGrad) {
    tape.record(() => {
      const g = out.grad;
      if (!g) return;
      let at = 0;
      for (const p of parts) {
        if (p.requiresGrad) accumulate(p.gradBuffer(), g.subarray(at, at + p.data.length));
        at += p.data.length;
      }
    });
  }
  return out;
}
