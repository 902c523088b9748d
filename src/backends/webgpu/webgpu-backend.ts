/**
 * The WebGPU backend: every op of ops.ts as WGSL kernels, recorded into one command encoder and submitted
 * only when a value is read back, so a decode step is one submit and one readback. The same code runs in
 * browsers (navigator.gpu) and in Node (Dawn, through the `webgpu` package).
 */
import type { Activation, AttentionParams, Backend, GreedySample, HostWeight, KvStore, MoeParams, NormForm, Tensor, TopLogits, Weight } from "../ops.js";
import { acquireGpu, type AdapterDescription } from "./acquire-gpu.js";
import { attention } from "./attention.js";
import { normRopeWriteKv, writeKv } from "./kv-write.js";
import { binary, gatedActivation, slice, unary } from "./elementwise.js";
import { GpuContext } from "./gpu-context.js";
import { GpuKvStore, GpuTensor, GpuWeight, asGpu, asGpuStore, asGpuWeight } from "./gpu-tensors.js";
import { embed, gatedMatmul, matmul, matmulEach } from "./matmul.js";
import { moe } from "./moe.js";
import { addNorm, normRope, rmsNorm } from "./norms.js";
import { RopeTables, rope } from "./rope.js";
import { sampleGreedy, topLogits } from "./sampling.js";
import { newTensor, releaseTensor } from "./tensor-alloc.js";
import { uploadWeight, type HostQuantizedWeight } from "./weight-storage.js";

export interface WebGpuBackendOptions {
  /** Split weights into chunks of at most this many bytes (default: the device's binding limit); tests
   *  set it small to exercise the split path. */
  readonly weightChunkBytes?: number;
  /** Barrier-free matmul kernels everywhere (default: only on CPU adapters such as llvmpipe/SwiftShader). */
  readonly simpleKernels?: boolean;
  /** Open the device with timestamp queries (where the adapter has them) so `ctx.startProfile` can time
   *  each dispatch on the GPU: a tool for benchmarks, off by default. */
  readonly profiling?: boolean;
  /** Output rows each matrix-vector thread computes, 1–4 (default: 2 for Q8_0/Q4_0, 1 otherwise): a
   *  tuning knob for benchmarks. */
  readonly matvecRowsPerThread?: number;
}

/** Adapters that run shaders on the CPU. */
export function isCpuAdapter(a: AdapterDescription): boolean {
  return /llvmpipe|lavapipe|swiftshader/i.test(`${a.architecture} ${a.device} ${a.description}`);
}

export class WebGpuBackend implements Backend {
  readonly name = "webgpu";
  private readonly ropeTables = new RopeTables();

  private constructor(readonly ctx: GpuContext, readonly adapter: AdapterDescription) {}

  /** Opens the GPU (throws DeviceError when there is no adapter). */
  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const rows = options.matvecRowsPerThread;
    if (rows !== undefined && !(Number.isInteger(rows) && rows >= 1 && rows <= 4)) throw new RangeError(`matvecRowsPerThread must be 1, 2, 3 or 4, not ${rows}`);
    const { device, description } = await acquireGpu(options.profiling ? ["timestamp-query"] : []);
    const simple = options.simpleKernels ?? isCpuAdapter(description);
    const ctx = new GpuContext(device, options.weightChunkBytes, simple);
    ctx.matvecRowsPerThread = rows ?? null;
    return new WebGpuBackend(ctx, description);
  }

  uploadWeight(weight: HostWeight): Weight {
    return uploadWeight(this.ctx, weight);
  }

  /** Uploads ggml Q8_0 / Q4_0 blocks; the result is usable wherever a weight is (matmul, embed, moe). */
  uploadQuantizedWeight(weight: HostQuantizedWeight): Weight {
    return uploadWeight(this.ctx, weight);
  }

  fromHost(values: Float32Array, shape: readonly number[]): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== values.length) throw new Error(`shape [${shape}] does not match ${values.length} values`);
    const t = newTensor(this.ctx, shape);
    const slice = this.ctx.upload(values);
    this.ctx.copy(slice.buffer, slice.offset, t.buffer, 0, t.bytes);
    return t;
  }

  async read(x: Tensor): Promise<Float32Array> {
    const t = asGpu(x);
    const bytes = await this.ctx.readBack(t.buffer, 0, t.bytes);
    return new Float32Array(bytes);
  }

  /** Greedy token per row of `logits` [rows, V], chosen on the device: only ids and logprobs come back. */
  sampleGreedy(logits: Tensor): Promise<GreedySample> {
    return sampleGreedy(this.ctx, asGpu(logits));
  }

  /** The k largest logits of one row, found on the device: a few candidates come back, not the row. */
  topLogits(logits: Tensor, k: number): Promise<TopLogits | null> {
    return topLogits(this.ctx, asGpu(logits), k);
  }

  tidy<R extends Tensor | readonly Tensor[] | void>(fn: () => R): R {
    const scope = new Set<GpuTensor>();
    this.ctx.scopes.push(scope);
    let result: R;
    try {
      result = fn();
    } catch (e) {
      for (const t of scope) releaseTensor(this.ctx, t);
      throw e;
    } finally {
      this.ctx.scopes.pop();
    }
    const kept = new Set<Tensor>(result === undefined ? [] : Array.isArray(result) ? result : [result as Tensor]);
    for (const t of scope) if (!kept.has(t)) releaseTensor(this.ctx, t);
    const parent = this.ctx.scopes[this.ctx.scopes.length - 1];
    if (parent) for (const t of kept) if (t instanceof GpuTensor && scope.has(t)) parent.add(t);
    return result;
  }

  release(x: Tensor | Weight | KvStore): void {
    if (x instanceof GpuTensor) releaseTensor(this.ctx, x);
    else if (x instanceof GpuWeight) {
      if (x.released) return;
      x.released = true;
      for (const c of x.chunks) for (const b of [c.data, c.scales]) if (b) this.ctx.destroyLater(b);
    } else if (x instanceof GpuKvStore) {
      if (x.released) return;
      x.released = true;
      for (const b of [x.keys, x.values, x.positions]) if (b) this.ctx.destroyLater(b);
    }
  }

  embed(table: Weight, ids: Int32Array, scale: number): Tensor {
    return embed(this.ctx, asGpuWeight(table), ids, scale);
  }

  matmul(x: Tensor, w: Weight): Tensor {
    return matmul(this.ctx, asGpu(x), asGpuWeight(w));
  }

  matmulEach(x: Tensor, ws: readonly Weight[]): Tensor[] {
    return matmulEach(this.ctx, asGpu(x), ws.map(asGpuWeight));
  }

  gatedMatmul(x: Tensor, gate: Weight, up: Weight, activation: Activation): Tensor {
    return gatedMatmul(this.ctx, asGpu(x), asGpuWeight(gate), asGpuWeight(up), activation);
  }

  rmsNorm(x: Tensor, weight: Weight | null, form: NormForm, eps: number, dim: number): Tensor {
    return rmsNorm(this.ctx, asGpu(x), weight && asGpuWeight(weight), form, eps, dim);
  }

  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array, headDim: number): Tensor {
    return rope(this.ctx, this.ropeTables, asGpu(x), positions, invFreq, headDim);
  }

  addNorm(residual: Tensor, x: Tensor, weight: Weight, form: NormForm, eps: number, dim: number, scalar: Weight | null, next: Weight | null): readonly [Tensor, Tensor | null] {
    return addNorm(this.ctx, asGpu(residual), asGpu(x), asGpuWeight(weight), form, eps, dim, scalar && asGpuWeight(scalar), next && asGpuWeight(next));
  }

  normRope(x: Tensor, weight: Weight, form: NormForm, eps: number, positions: Int32Array, invFreq: Float32Array, headDim: number): Tensor {
    return normRope(this.ctx, this.ropeTables, asGpu(x), asGpuWeight(weight), form, eps, positions, invFreq, headDim);
  }

  gatedActivation(gate: Tensor, up: Tensor, activation: Activation): Tensor {
    return gatedActivation(this.ctx, asGpu(gate), asGpu(up), activation);
  }

  add(a: Tensor, b: Tensor): Tensor {
    return binary(this.ctx, "add", asGpu(a), asGpu(b));
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return binary(this.ctx, "mul", asGpu(a), asGpu(b));
  }

  scale(x: Tensor, factor: number): Tensor {
    return unary(this.ctx, "scale", asGpu(x), factor);
  }

  scaleByWeight(x: Tensor, scalar: Weight): Tensor {
    const w = asGpuWeight(scalar);
    if (w.shape.reduce((a, b) => a * b, 1) !== 1) throw new Error(`scaleByWeight: weight [${w.shape}] is not a scalar`);
    return unary(this.ctx, "scaleByWeight", asGpu(x), 0, w);
  }

  softcap(x: Tensor, cap: number): Tensor {
    return unary(this.ctx, "softcap", asGpu(x), cap);
  }

  sliceRows(x: Tensor, start: number, count: number): Tensor {
    const t = asGpu(x);
    if (start < 0 || start + count > t.rows) throw new Error(`sliceRows: rows ${start}..${start + count} of ${t.rows}`);
    return slice(this.ctx, t, start, count, 0, t.cols, [count, ...t.shape.slice(1)]);
  }

  concatRows(parts: readonly Tensor[]): Tensor {
    const ts = parts.map(asGpu);
    const cols = ts[0]?.cols ?? 0;
    if (ts.length === 0 || ts.some((t) => t.cols !== cols)) throw new Error("concatRows: needs tensors of one row width");
    const out = newTensor(this.ctx, [ts.reduce((n, t) => n + t.rows, 0), cols]);
    let offset = 0;
    for (const t of ts) {
      this.ctx.copy(t.buffer, 0, out.buffer, offset, t.bytes);
      offset += t.bytes;
    }
    return out;
  }

  sliceColumns(x: Tensor, start: number, count: number): Tensor {
    const t = asGpu(x);
    if (start < 0 || start + count > t.cols) throw new Error(`sliceColumns: columns ${start}..${start + count} of ${t.cols}`);
    return slice(this.ctx, t, 0, t.rows, start, count, [t.rows, count]);
  }

  createKvStore(numKvHeads: number, headDim: number, capacity: number): KvStore {
    return new GpuKvStore(numKvHeads, headDim, capacity);
  }

  writeKv(store: KvStore, k: Tensor, v: Tensor, slots: Int32Array, positions: Int32Array): void {
    writeKv(this.ctx, asGpuStore(store), asGpu(k), asGpu(v), slots, positions);
  }

  normRopeWriteKv(store: KvStore, k: Tensor, v: Tensor, kNorm: Weight, form: NormForm, eps: number, vNorm: boolean,
    positions: Int32Array, invFreq: Float32Array, headDim: number, slots: Int32Array): void {
    normRopeWriteKv(this.ctx, this.ropeTables, asGpuStore(store), asGpu(k), asGpu(v), asGpuWeight(kNorm), form, eps, vNorm, positions, invFreq, headDim, slots);
  }

  attention(q: Tensor, store: KvStore, positions: Int32Array, params: AttentionParams): Tensor {
    return attention(this.ctx, asGpu(q), asGpuStore(store), positions, params);
  }

  moe(x: Tensor, routerLogits: Tensor, perExpertScale: Weight, gateUp: Weight, down: Weight, params: MoeParams): Tensor {
    return moe(this.ctx, asGpu(x), asGpu(routerLogits), asGpuWeight(perExpertScale), asGpuWeight(gateUp), asGpuWeight(down), params);
  }

  /** Submits pending work and waits for the GPU to finish it (benchmarks, shutdown). */
  async finish(): Promise<void> {
    this.ctx.flush();
    await this.ctx.device.queue.onSubmittedWorkDone();
    await this.ctx.settle();
  }

  /** Frees every GPU resource and the device; the backend is unusable afterwards. */
  dispose(): void {
    this.ctx.destroy();
  }
}
