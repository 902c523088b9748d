/**
 * The fast CPU backend: the op interface on SIMD kernels (kernels/*.c) run by a thread pool on all cores,
 * built either as a native Node addon (AVX-512 VNNI / AVX2 / portable, chosen at run time) or as
 * WebAssembly (SIMD128 + threads). This file only validates shapes, manages memory (pooled activation
 * blocks, tidy scopes) and marshals arguments; every loop over values runs in C.
 *
 * Weights are used where they lie (natively: the host arrays themselves); quantized weights are
 * rearranged in place once at upload into the kernels' lane layout (same size). Products with quantized
 * weights quantize the activations to int8 per 32 values, as llama.cpp does (Q8_0-style activations).
 */
import { availableParallelism } from "node:os";
import { BadRequestError, UnsupportedError } from "../../errors.js";
import { ggmlType } from "../../formats/quant/ggml-type.js";
import { checkTopLogits, type Activation, type AttentionParams, type Backend, type HostWeight, type KvStore, type MoeParams, type NormForm, type Tensor, type TopLogits, type Weight } from "../ops.js";
import { ggmlTypeOf, isQuantDtype } from "../weight-dtype.js";
import { BlockPool } from "./block-pool.js";
import { CpuKvStore, CpuTensor, CpuWeight, asCpuStore, asCpuTensor, asCpuWeight } from "./cpu-tensors.js";
import { moe } from "./cpu-moe.js";
import { ACTIVATION, BINARY, KERNEL_TYPES, KV_TYPE, OP, UNARY, kernelInfo, setKernelThreads, type KernelModule, type MemoryBlock } from "./kernel-module.js";
import { RopeTableCache } from "./rope-tables.js";
import { decodeWeightValues } from "./weight-values.js";

export type KvDtype = "f32" | "f16";

export interface CpuBackendOptions {
  /** Threads the kernels run on (default: $GEMMA4_THREADS if set, else every core, os.availableParallelism()). */
  readonly threads?: number;
  /** Element type of the KV cache. Default f32: it reproduces transformers' float32 runs to 1e-4 on every
   *  fixture, which f16 does not (up to 2e-2 on logits; greedy tokens still agree). f16 halves KV memory and
   *  is what llama.cpp uses (the benchmark runs both engines with f16). */
  readonly kvDtype?: KvDtype;
  /** Kernel variant by name (e.g. "avx2", "generic"), for tests; default the best this CPU runs. */
  readonly variant?: string;
}

export class CpuBackend implements Backend {
  readonly name = "cpu";
  readonly kvDtype: KvDtype;
  readonly variant: string;
  readonly threads: number;
  private readonly pool: BlockPool;
  private readonly scopes: Set<CpuTensor>[] = [];
  private readonly ropeTables = new RopeTableCache();
  /** Int8 activations of the last tensor multiplied by a quantized weight (q/k/v and gate/up share one x). */
  private qxCache: { tensor: CpuTensor; block: MemoryBlock } | null = null;
  private scratch: MemoryBlock | null = null;

  constructor(readonly kernels: KernelModule, options: CpuBackendOptions = {}) {
    this.pool = new BlockPool(kernels);
    this.kvDtype = options.kvDtype ?? "f32";
    if (options.variant !== undefined) {
      const index = kernels.variants.findIndex((v) => v.name === options.variant);
      if (index < 0 || !kernels.variants[index]!.runsHere) {
        throw new UnsupportedError(`cpu kernel variant ${JSON.stringify(options.variant)} is not available here (${kernels.variants.filter((v) => v.runsHere).map((v) => v.name).join(", ")})`);
      }
      this.variant = kernelInfo(kernels, index).variant;
    } else {
      this.variant = kernelInfo(kernels, 0).variant;
    }
    this.threads = setKernelThreads(kernels, Math.max(1, Math.floor(options.threads ?? defaultThreads())));
  }

  // ---------------------------------------------------------------- memory

  private newTensor(shape: readonly number[]): CpuTensor {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = new CpuTensor([...shape], this.pool.get(size * 4), size);
    this.scopes[this.scopes.length - 1]?.add(t);
    return t;
  }

  private scratchBlock(bytes: number): MemoryBlock {
    if (!this.scratch || this.scratch.byteLength < bytes) {
      if (this.scratch) this.kernels.free(this.scratch);
      this.scratch = this.kernels.alloc(Math.max(bytes, 1 << 16));
    }
    return this.scratch;
  }

  private run(op: number, ...args: number[]): void {
    const a = this.kernels.args;
    for (let i = 0; i < args.length; i++) a[i] = args[i]!;
    this.kernels.call(op);
    this.kernels.unstage();
  }

  uploadWeight(weight: HostWeight): Weight {
    const type = KERNEL_TYPES[weight.dtype];
    if (type === undefined) throw new UnsupportedError(`the cpu backend has no kernels for ${weight.dtype} weights`);
    const shape = [...weight.shape];
    const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    const rows = shape.length <= 1 ? 1 : shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const data = weight.data;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let rowBytes: number;
    if (isQuantDtype(weight.dtype)) {
      const { blockElems, blockBytes } = ggmlType(ggmlTypeOf(weight.dtype));
      if (cols % blockElems !== 0) throw new UnsupportedError(`${weight.dtype} weight [${shape}]: rows of ${cols} values are not whole blocks of ${blockElems}`);
      rowBytes = (cols / blockElems) * blockBytes;
    } else {
      rowBytes = cols * (weight.dtype === "f32" ? 4 : 2);
    }
    if (bytes.byteLength !== rows * rowBytes) throw new Error(`uploadWeight: ${weight.dtype} [${shape}] needs ${rows * rowBytes} bytes, got ${bytes.byteLength}`);
    const block = this.kernels.adopt(bytes);
    if (isQuantDtype(weight.dtype)) {
      const scratch = this.scratchBlock(rowBytes);
      this.run(OP.REPACK, type, block.address, rows, cols, scratch.address);
    }
    return new CpuWeight(shape, weight.dtype, type, block, cols, rows, rowBytes);
  }

  fromHost(values: Float32Array, shape: readonly number[]): Tensor {
    const t = this.newTensor(shape);
    if (values.length !== t.size) throw new Error(`fromHost: ${values.length} values for shape [${shape}]`);
    this.kernels.f32(t.block, t.size).set(values);
    return t;
  }

  /** The k largest logits of one row and its Σ exp, in the kernels (threads, no copy of the row): what
   *  the engine's samplers need, without a pass over the vocabulary in JavaScript per token. */
  async topLogits(logits: Tensor, k: number): Promise<TopLogits> {
    const t = asCpuTensor(logits);
    const V = t.cols;
    checkTopLogits(t.rows, V, k);
    // ids and values, then the kernel's scratch: a heap of k entries per thread (fewer threads if short).
    const out = 8 * k;
    const bytes = out + 64 * (8 * k + 16) + 128;
    const scratch = this.scratchBlock(bytes);
    this.run(OP.TOP_LOGITS, t.block.address, V, k, scratch.address, scratch.address + 4 * k, scratch.address + out, scratch.byteLength - out);
    const sum = this.kernels.args[0]!;
    const view = this.kernels.f32(scratch, 2 * k);
    const ids = new Int32Array(view.buffer, view.byteOffset, k).slice();
    const values = view.slice(k, 2 * k);
    return { ids, values, logSumExp: values[0]! + Math.log(sum) };
  }

  read(x: Tensor): Promise<Float32Array> {
    const t = asCpuTensor(x);
    return Promise.resolve(this.kernels.f32(t.block, t.size).slice());
  }

  /** Synchronous read (this backend computes eagerly). */
  readSync(x: Tensor): Float32Array {
    const t = asCpuTensor(x);
    return this.kernels.f32(t.block, t.size).slice();
  }

  tidy<R extends Tensor | readonly Tensor[] | void>(fn: () => R): R {
    const scope = new Set<CpuTensor>();
    this.scopes.push(scope);
    let result: R | undefined;
    try {
      result = fn();
      return result;
    } finally {
      this.scopes.pop();
      const keep = new Set<unknown>(Array.isArray(result) ? result : [result]);
      const parent = this.scopes[this.scopes.length - 1];
      for (const t of scope) {
        if (keep.has(t)) parent?.add(t);
        else this.releaseTensor(t);
      }
    }
  }

  private releaseTensor(t: CpuTensor): void {
    if (t.released) return;
    t.released = true;
    if (this.qxCache?.tensor === t) {
      this.pool.put(this.qxCache.block);
      this.qxCache = null;
    }
    this.pool.put(t.block);
  }

  release(x: Tensor | Weight | KvStore): void {
    if (x instanceof CpuTensor) this.releaseTensor(x);
    else if (x instanceof CpuWeight) {
      x.released = true;
      this.kernels.free(x.block);
    } else if (x instanceof CpuKvStore) {
      x.released = true;
      if (x.keys) this.kernels.free(x.keys);
      if (x.values) this.kernels.free(x.values);
      x.keys = x.values = null;
    }
  }

  // ---------------------------------------------------------------- products

  embed(table: Weight, ids: Int32Array, scale: number): Tensor {
    const w = asCpuWeight(table);
    if (w.shape.length !== 2) throw new Error(`embed: table [${w.shape}] is not 2-D`);
    for (const id of ids) if (!(id >= 0 && id < w.rows)) throw new RangeError(`token id ${id} is outside the vocabulary (0..${w.rows - 1})`);
    const out = this.newTensor([ids.length, w.cols]);
    this.run(OP.EMBED, w.kernelType, w.block.address, w.cols, this.kernels.stage(ids), ids.length, Math.fround(scale), out.block.address);
    return out;
  }

  matmul(x: Tensor, w: Weight): Tensor {
    const xt = asCpuTensor(x);
    const wt = asCpuWeight(w);
    if (wt.shape.length !== 2 || xt.cols !== wt.cols) throw new Error(`matmul: x [${xt.shape}] · w [${wt.shape}]ᵀ do not fit`);
    return this.product(xt, wt, 0, wt.rows);
  }

  /** x [T, K] times rows [row0, row0 + N) of w → [T, N] (MoE experts use row ranges of one weight). */
  product(x: CpuTensor, w: CpuWeight, row0: number, N: number): CpuTensor {
    const T = x.rows;
    const K = w.cols;
    const out = this.newTensor([T, N]);
    let qx = 0;
    let ready = 0;
    if (w.kernelType > KERNEL_TYPES.bf16!) {
      if (this.qxCache?.tensor === x) {
        ready = 1;
      } else {
        this.run(OP.MATMUL_SCRATCH, K, T);
        const block = this.pool.get(this.kernels.args[0]!);
        if (this.qxCache) this.pool.put(this.qxCache.block);
        this.qxCache = { tensor: x, block };
      }
      qx = this.qxCache!.block.address;
    }
    this.run(OP.MATMUL, w.kernelType, x.block.address, T, K, w.block.address, row0, N, out.block.address, N, qx, ready);
    return out;
  }

  moe(x: Tensor, routerLogits: Tensor, perExpertScale: Weight, gateUp: Weight, down: Weight, params: MoeParams): Tensor {
    const routing = this.readSync(routerLogits);
    const scales = this.decoded(asCpuWeight(perExpertScale));
    return moe(this, asCpuTensor(x), routing, asCpuTensor(routerLogits).cols, scales, asCpuWeight(gateUp), asCpuWeight(down), params);
  }

  // ---------------------------------------------------------------- row-wise and elementwise

  /** Float32 values of a small weight, decoded once. */
  decoded(w: CpuWeight): Float32Array {
    if (!w.decoded) w.decoded = decodeWeightValues(this.kernels, w);
    return w.decoded;
  }

  private normScales = new WeakMap<CpuWeight, Float32Array>();

  rmsNorm(x: Tensor, weight: Weight | null, form: NormForm, eps: number, dim: number): Tensor {
    const xt = asCpuTensor(x);
    if (xt.size % dim !== 0) throw new Error(`rmsNorm: ${xt.size} values are not groups of ${dim}`);
    let scale = 0;
    if (form !== "none") {
      const w = weight && asCpuWeight(weight);
      if (!w || w.shape[0] !== dim) throw new Error(`rmsNorm: form ${form} needs a [${dim}] weight`);
      let values = this.decoded(w);
      if (form === "one-plus") {
        let onePlus = this.normScales.get(w);
        if (!onePlus) this.normScales.set(w, (onePlus = values.map((v) => Math.fround(1 + v))));
        values = onePlus;
      }
      scale = this.kernels.stage(values);
    }
    const out = this.newTensor(xt.shape);
    this.run(OP.RMSNORM, xt.block.address, scale, form === "none" ? 0 : 1, Math.fround(eps), dim, xt.size / dim, out.block.address);
    return out;
  }

  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array, headDim: number): Tensor {
    const xt = asCpuTensor(x);
    if (invFreq.length !== headDim / 2) throw new Error(`rope: ${invFreq.length} frequencies for head dim ${headDim}`);
    if (positions.length !== xt.rows || xt.cols % headDim !== 0) throw new Error(`rope: x [${xt.shape}] vs ${positions.length} positions, head dim ${headDim}`);
    const { cos, sin } = this.ropeTables.get(positions, invFreq);
    const out = this.newTensor(xt.shape);
    this.run(OP.ROPE, xt.block.address, xt.rows, xt.cols, headDim, this.kernels.stage(cos), this.kernels.stage(sin), out.block.address);
    return out;
  }

  gatedActivation(gate: Tensor, up: Tensor, activation: Activation): Tensor {
    const [g, u] = this.sameSize(gate, up);
    const out = this.newTensor(g.shape);
    this.run(OP.GATED_ACT, g.block.address, u.block.address, g.size, ACTIVATION[activation], out.block.address);
    return out;
  }

  add(a: Tensor, b: Tensor): Tensor {
    return this.binary(a, b, BINARY.add);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return this.binary(a, b, BINARY.mul);
  }

  private binary(a: Tensor, b: Tensor, op: number): Tensor {
    const [x, y] = this.sameSize(a, b);
    const out = this.newTensor(x.shape);
    this.run(OP.BINARY, op, x.block.address, y.block.address, x.size, out.block.address);
    return out;
  }

  private sameSize(a: Tensor, b: Tensor): [CpuTensor, CpuTensor] {
    const x = asCpuTensor(a);
    const y = asCpuTensor(b);
    if (x.size !== y.size) throw new Error(`shapes [${x.shape}] and [${y.shape}] differ`);
    return [x, y];
  }

  scale(x: Tensor, factor: number): Tensor {
    return this.unary(x, UNARY.scale, Math.fround(factor));
  }

  scaleByWeight(x: Tensor, scalar: Weight): Tensor {
    const w = asCpuWeight(scalar);
    if (w.shape.reduce((a, b) => a * b, 1) !== 1) throw new Error(`scaleByWeight: weight [${w.shape}] is not a scalar`);
    return this.unary(x, UNARY.scale, this.decoded(w)[0]!);
  }

  softcap(x: Tensor, cap: number): Tensor {
    return this.unary(x, UNARY.softcap, cap);
  }

  private unary(x: Tensor, op: number, s: number): Tensor {
    const t = asCpuTensor(x);
    const out = this.newTensor(t.shape);
    this.run(OP.UNARY, op, t.block.address, t.size, s, out.block.address);
    return out;
  }

  sliceRows(x: Tensor, start: number, count: number): Tensor {
    const t = asCpuTensor(x);
    if (start < 0 || start + count > t.rows) throw new Error(`sliceRows: rows ${start}..${start + count} of ${t.rows}`);
    const out = this.newTensor([count, ...t.shape.slice(1)]);
    this.kernels.f32(out.block, out.size).set(this.kernels.f32(t.block, t.size).subarray(start * t.cols, (start + count) * t.cols));
    return out;
  }

  concatRows(parts: readonly Tensor[]): Tensor {
    const ts = parts.map(asCpuTensor);
    const cols = ts[0]?.cols ?? 0;
    if (ts.length === 0 || ts.some((t) => t.cols !== cols)) throw new Error("concatRows: needs tensors of one row width");
    const out = this.newTensor([ts.reduce((n, t) => n + t.rows, 0), cols]);
    const dst = this.kernels.f32(out.block, out.size);
    let offset = 0;
    for (const t of ts) {
      dst.set(this.kernels.f32(t.block, t.size), offset);
      offset += t.size;
    }
    return out;
  }

  sliceColumns(x: Tensor, start: number, count: number): Tensor {
    const t = asCpuTensor(x);
    if (start < 0 || start + count > t.cols) throw new Error(`sliceColumns: columns ${start}..${start + count} of ${t.cols}`);
    const out = this.newTensor([t.rows, count]);
    const src = this.kernels.f32(t.block, t.size);
    const dst = this.kernels.f32(out.block, out.size);
    for (let r = 0; r < t.rows; r++) dst.set(src.subarray(r * t.cols + start, r * t.cols + start + count), r * count);
    return out;
  }

  // ---------------------------------------------------------------- attention

  createKvStore(numKvHeads: number, headDim: number, capacity: number): KvStore {
    return new CpuKvStore(numKvHeads, headDim, capacity, this.kvDtype === "f16" ? 2 : 4);
  }

  private ensureSlots(store: CpuKvStore, slots: number): void {
    if (slots > store.capacity) throw new Error(`KV slot ${slots - 1} is beyond the store's capacity ${store.capacity}`);
    if (slots <= store.allocated) return;
    const grown = Math.min(store.capacity, Math.max(slots, 2 * store.allocated, 16));
    const keys = this.kernels.alloc(grown * store.rowBytes);
    const values = this.kernels.alloc(grown * store.rowBytes);
    const usedBytes = store.allocated * store.rowBytes;
    if (store.keys && store.values) {
      this.kernels.u8(keys, usedBytes).set(this.kernels.u8(store.keys, usedBytes));
      this.kernels.u8(values, usedBytes).set(this.kernels.u8(store.values, usedBytes));
      this.kernels.free(store.keys);
      this.kernels.free(store.values);
    }
    const positions = new Int32Array(grown).fill(-1);
    positions.set(store.positions);
    store.keys = keys;
    store.values = values;
    store.positions = positions;
  }

  writeKv(store: KvStore, k: Tensor, v: Tensor, slots: Int32Array, positions: Int32Array): void {
    const s = asCpuStore(store);
    const kt = asCpuTensor(k);
    const vt = asCpuTensor(v);
    const row = s.numKvHeads * s.headDim;
    if (kt.cols !== row || vt.cols !== row || kt.rows !== slots.length || vt.rows !== slots.length || positions.length !== slots.length) {
      throw new Error(`writeKv: k [${kt.shape}], v [${vt.shape}] do not fit rows of ${row} at ${slots.length} slots`);
    }
    let maxSlot = -1;
    for (const slot of slots) maxSlot = Math.max(maxSlot, slot);
    this.ensureSlots(s, maxSlot + 1);
    this.run(OP.KV_WRITE, KV_TYPE[this.kvDtype], kt.block.address, vt.block.address, slots.length, row, this.kernels.stage(slots), s.keys!.address, s.values!.address);
    for (let t = 0; t < slots.length; t++) s.positions[slots[t]!] = positions[t]!;
    s.used = Math.max(s.used, maxSlot + 1);
  }

  attention(q: Tensor, store: KvStore, positions: Int32Array, params: AttentionParams): Tensor {
    const qt = asCpuTensor(q);
    const s = asCpuStore(store);
    const { numHeads, numKvHeads, headDim: d } = params;
    if (s.numKvHeads !== numKvHeads || s.headDim !== d) throw new Error("attention: KV store geometry does not match");
    if (qt.cols !== numHeads * d || positions.length !== qt.rows) throw new Error(`attention: q [${qt.shape}] vs ${numHeads} heads × ${d}`);
    if (numHeads % numKvHeads !== 0) throw new Error(`attention: ${numHeads} heads do not group over ${numKvHeads} KV heads`);
    const out = this.newTensor(qt.shape);
    const T = qt.rows;
    this.run(OP.ATTENTION_SCRATCH, T, s.used, numHeads, numKvHeads, d);
    const scratch = this.scratchBlock(this.kernels.args[0]! * 4);
    this.run(OP.ATTENTION, KV_TYPE[this.kvDtype], qt.block.address, T, this.kernels.stage(positions), s.keys?.address ?? 0, s.values?.address ?? 0,
      this.kernels.stage(s.positions), s.used, numHeads, numKvHeads, d, params.scale, params.softcap ?? 0, params.window ?? 0,
      out.block.address, scratch.address, scratch.byteLength / 4);
    return out;
  }
}

/** $GEMMA4_THREADS (for containers and shared machines, like OMP_NUM_THREADS), else every core. */
function defaultThreads(): number {
  const value = typeof process === "undefined" ? undefined : process.env["GEMMA4_THREADS"]; // none in a browser
  if (value === undefined || value === "") return availableParallelism();
  if (!/^[1-9][0-9]{0,3}$/.test(value)) throw new BadRequestError(`GEMMA4_THREADS=${JSON.stringify(value)} is not a thread count (a whole number from 1)`);
  return Number(value);
}
