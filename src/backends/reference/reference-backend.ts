/**
 * The reference backend: plain TypeScript loops over float32 activations, weights kept in their stored
 * dtype and converted as used. It is the executable spec every fast backend is tested against, so each op
 * is the formula, written once, with no caching, threads or tricks. Sums run in double precision and each
 * op's result is rounded to float32, the rounding points transformers has between ops.
 */
import type { Activation, AttentionParams, Backend, HostWeight, KvStore, MoeParams, NormForm, Tensor, Weight } from "../ops.js";
import { attention, writeKv } from "./attention.js";
import { geluExact, geluTanh, softcap } from "./math.js";
import { embed, matmul } from "./matmul.js";
import { moe } from "./moe.js";
import { rmsNorm } from "./norms.js";
import { rope } from "./rope.js";
import { RefKvStore, RefTensor, RefWeight, asRef, asRefStore, asRefWeight } from "./tensors.js";

export class ReferenceBackend implements Backend {
  readonly name = "reference";

  uploadWeight(weight: HostWeight): Weight {
    return new RefWeight(weight.shape, weight.dtype, weight.data);
  }

  fromHost(values: Float32Array, shape: readonly number[]): Tensor {
    return new RefTensor([...shape], Float32Array.from(values));
  }

  read(x: Tensor): Promise<Float32Array> {
    return Promise.resolve(asRef(x).data);
  }

  /** Synchronous read, available on this backend only. */
  readSync(x: Tensor): Float32Array {
    return asRef(x).data;
  }

  tidy<R extends Tensor | readonly Tensor[] | void>(fn: () => R): R {
    return fn(); // garbage collection frees host arrays
  }

  release(_x: Tensor | Weight | KvStore): void {}

  embed(table: Weight, ids: Int32Array, scale: number): Tensor {
    return embed(asRefWeight(table), ids, scale);
  }

  matmul(x: Tensor, w: Weight): Tensor {
    return matmul(asRef(x), asRefWeight(w));
  }

  rmsNorm(x: Tensor, weight: Weight | null, form: NormForm, eps: number, dim: number): Tensor {
    return rmsNorm(asRef(x), weight && asRefWeight(weight), form, eps, dim);
  }

  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array, headDim: number): Tensor {
    return rope(asRef(x), positions, invFreq, headDim);
  }

  gatedActivation(gate: Tensor, up: Tensor, activation: Activation): Tensor {
    const act = activation === "gelu_tanh" ? geluTanh : geluExact;
    return zip(gate, up, (g, u) => act(g) * u);
  }

  add(a: Tensor, b: Tensor): Tensor {
    return zip(a, b, (x, y) => x + y);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return zip(a, b, (x, y) => x * y);
  }

  scale(x: Tensor, factor: number): Tensor {
    const f = Math.fround(factor);
    return map(x, (v) => v * f);
  }

  scaleByWeight(x: Tensor, scalar: Weight): Tensor {
    const w = asRefWeight(scalar);
    if (w.shape.reduce((a, b) => a * b, 1) !== 1) throw new Error(`scaleByWeight: weight [${w.shape}] is not a scalar`);
    const f = w.at(0);
    return map(x, (v) => v * f);
  }

  softcap(x: Tensor, cap: number): Tensor {
    return map(x, (v) => softcap(v, cap));
  }

  sliceRows(x: Tensor, start: number, count: number): Tensor {
    const r = asRef(x);
    if (start < 0 || start + count > r.rows) throw new Error(`sliceRows: rows ${start}..${start + count} of ${r.rows}`);
    return new RefTensor([count, ...r.shape.slice(1)], r.data.slice(start * r.cols, (start + count) * r.cols));
  }

  concatRows(parts: readonly Tensor[]): Tensor {
    const refs = parts.map(asRef);
    const cols = refs[0]?.cols ?? 0;
    if (refs.length === 0 || refs.some((r) => r.cols !== cols)) throw new Error("concatRows: needs tensors of one row width");
    const rows = refs.reduce((n, r) => n + r.rows, 0);
    const out = new Float32Array(rows * cols);
    let offset = 0;
    for (const r of refs) { out.set(r.data, offset); offset += r.data.length; }
    return new RefTensor([rows, cols], out);
  }

  sliceColumns(x: Tensor, start: number, count: number): Tensor {
    const r = asRef(x);
    if (start < 0 || start + count > r.cols) throw new Error(`sliceColumns: columns ${start}..${start + count} of ${r.cols}`);
    const out = new Float32Array(r.rows * count);
    for (let t = 0; t < r.rows; t++) out.set(r.data.subarray(t * r.cols + start, t * r.cols + start + count), t * count);
    return new RefTensor([r.rows, count], out);
  }

  createKvStore(numKvHeads: number, headDim: number, capacity: number): KvStore {
    return new RefKvStore(numKvHeads, headDim, capacity);
  }

  writeKv(store: KvStore, k: Tensor, v: Tensor, slots: Int32Array, positions: Int32Array): void {
    writeKv(asRefStore(store), asRef(k), asRef(v), slots, positions);
  }

  attention(q: Tensor, store: KvStore, positions: Int32Array, params: AttentionParams): Tensor {
    return attention(asRef(q), asRefStore(store), positions, params);
  }

  moe(x: Tensor, routerLogits: Tensor, perExpertScale: Weight, gateUp: Weight, down: Weight, params: MoeParams): Tensor {
    return moe(asRef(x), asRef(routerLogits), asRefWeight(perExpertScale), asRefWeight(gateUp), asRefWeight(down), params);
  }
}

function map(x: Tensor, f: (v: number) => number): RefTensor {
  const r = asRef(x);
  const out = new Float32Array(r.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(r.data[i]!);
  return new RefTensor(r.shape, out);
}

function zip(a: Tensor, b: Tensor, f: (x: number, y: number) => number): RefTensor {
  const ra = asRef(a);
  const rb = asRef(b);
  if (ra.data.length !== rb.data.length) throw new Error(`shapes [${ra.shape}] and [${rb.shape}] differ`);
  const out = new Float32Array(ra.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(ra.data[i]!, rb.data[i]!);
  return new RefTensor(ra.shape, out);
}
