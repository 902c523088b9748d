/**
 * The op interface: everything the Gemma decoder needs from a backend, and nothing more. The model imports
 * only this file; each backend (reference, fast CPU, WebGPU) implements all of it and is checked against
 * the reference by the shared conformance suite (`conformance.ts`).
 *
 * Conventions: activations are float32, row-major; a tensor `[T, N]` is T rows of N values. Weights keep
 * the dtype they were stored in (`WeightDtype`); a Linear weight is `[out, in]` as PyTorch stores it. Ops
 * enqueue work and return handles; only `read` hands values back to the host (asynchronously, so a GPU
 * backend can batch a whole step before one readback).
 */
import type { Dtype } from "../formats/dtype.js";

export type FloatWeightDtype = Extract<Dtype, "f32" | "f16" | "bf16">;

/** Block-quantized weights, stored as ggml's blocks along each row (GGUF type names in lower case; the
 *  block layouts and exact (de)quantization are in formats/quant). Quantized rows hold whole blocks. */
export type QuantDtype = "q8_0" | "q4_0" | "q4_1" | "q5_0" | "q5_1" | "q4_k" | "q5_k" | "q6_k";

export type WeightDtype = FloatWeightDtype | QuantDtype;

/** An activation tensor owned by a backend (float32). */
export interface Tensor {
  readonly shape: readonly number[];
}

/** A weight owned by a backend, in its stored dtype. */
export interface Weight {
  readonly shape: readonly number[];
  readonly dtype: WeightDtype;
}

/** Host-side weight data handed to `uploadWeight` (16-bit floats as their bit patterns; quantized dtypes as
 *  the raw block bytes, rows of the last axis one after another). */
export interface HostWeight {
  readonly dtype: WeightDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint16Array | Uint8Array;
}

/** RMSNorm forms (spec §1.1): A `x·(1+w)` (Gemma 1–3), B `x·w` (Gemma 4), C no weight. */
export type NormForm = "one-plus" | "scale" | "none";

export type Activation = "gelu_tanh" | "gelu_exact";

/** Keys and values of one attention layer: `capacity` slots of `[numKvHeads, headDim]`, each tagged with the
 * absolute position it holds (or empty). Which slot a position goes to is the KV cache's decision. */
export interface KvStore {
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly capacity: number;
  /** Bytes one stored key or value element takes (4 for float32, 2 for float16); 4 when absent. */
  readonly bytesPerValue?: number;
}

export interface AttentionParams {
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** Multiplies q·k (spec §1.5: d^-½, query_pre_attn_scalar^-½, or 1.0 for Gemma 4). */
  readonly scale: number;
  /** Gemma 2: `c·tanh(logits/c)` before the mask; null for none. */
  readonly softcap: number | null;
  /** Sliding window W: key position p is visible to query q iff p ≤ q and q − p < W. null = causal only. */
  readonly window: number | null;
}

export interface MoeParams {
  readonly topK: number;
  readonly activation: Activation;
}

/** Greedy choices for rows of logits, made on the backend (see `Backend.sampleGreedy`). */
export interface GreedySample {
  /** Chosen token per row: the largest logit, ties to the lower index. */
  readonly ids: Int32Array;
  /** log softmax of each chosen token (the row's full distribution). */
  readonly logprobs: Float32Array;
}

/** The most likely tokens of one row of logits, found on the backend (see `Backend.topLogits`). */
export interface TopLogits {
  /** The k largest logits' token ids, largest first (ties: lower id first), as a host sort would order them. */
  readonly ids: Int32Array;
  /** Their logits, exactly as stored. */
  readonly values: Float32Array;
  /** log Σ exp over the whole row (the log-softmax of token i is its logit minus this). */
  readonly logSumExp: number;
}

/** Largest k `Backend.topLogits` takes (the samplers use it up to their top-k). */
export const TOP_LOGITS_MAX_K = 1024;

/** Throws unless `Backend.topLogits` takes `k` for logits of `rows` × `cols`: one row, k in 1..min(max, cols). */
export function checkTopLogits(rows: number, cols: number, k: number): void {
  if (rows !== 1) throw new Error(`topLogits: one row of logits, not [${rows},${cols}]`);
  const most = Math.min(TOP_LOGITS_MAX_K, cols);
  if (!(Number.isInteger(k) && k >= 1 && k <= most)) throw new RangeError(`topLogits: k must be an integer in 1..${most}, not ${k}`);
}

export interface Backend {
  readonly name: string;

  /** Takes ownership of host weight data (the backend may keep the array without copying). */
  uploadWeight(weight: HostWeight): Weight;
  /** Copies host values into a new activation tensor. */
  fromHost(values: Float32Array, shape: readonly number[]): Tensor;
  /** Reads an activation tensor back to the host. The value is taken when `read` is called (the tensor may
   *  be released right after); the promise resolves once it has arrived. */
  read(x: Tensor): Promise<Float32Array>;
  /** Runs `fn`; tensors it creates are released afterwards, except those in its result (GPU memory pools). */
  tidy<R extends Tensor | readonly Tensor[] | void>(fn: () => R): R;
  /** Frees a tensor, weight or KV store now. */
  release(x: Tensor | Weight | KvStore): void;

  /** Rows `ids` of `table` ([V, N]) times `scale` → [T, N]. */
  embed(table: Weight, ids: Int32Array, scale: number): Tensor;
  /** x [T, in] · wᵀ with w [out, in] → [T, out]. */
  matmul(x: Tensor, w: Weight): Tensor;
  /** RMSNorm over consecutive groups of `dim` values (dim = last axis, or head_dim for q/k/v norms). */
  rmsNorm(x: Tensor, weight: Weight | null, form: NormForm, eps: number, dim: number): Tensor;
  /** Rotate-half RoPE on x [T, heads·headDim] at absolute `positions` [T]; invFreq has headDim/2 entries
   *  (zeros leave a pair unrotated, as proportional RoPE needs). */
  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array, headDim: number): Tensor;
  /** act(gate) ⊙ up, elementwise. */
  gatedActivation(gate: Tensor, up: Tensor, activation: Activation): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
  mul(a: Tensor, b: Tensor): Tensor;
  scale(x: Tensor, factor: number): Tensor;
  /** x times the single value stored in `scalar` (a [1] weight: Gemma 4 layer_scalar). */
  scaleByWeight(x: Tensor, scalar: Weight): Tensor;
  /** c·tanh(x/c). */
  softcap(x: Tensor, cap: number): Tensor;
  /** Rows [start, start+count) of x [T, N] → [count, N]. */
  sliceRows(x: Tensor, start: number, count: number): Tensor;
  /** Stacks tensors with the same row width: [T1, N], [T2, N], … → [T1 + T2 + …, N]. */
  concatRows(parts: readonly Tensor[]): Tensor;
  /** Columns [start, start+count) of x [T, N] → [T, count]. */
  sliceColumns(x: Tensor, start: number, count: number): Tensor;

  createKvStore(numKvHeads: number, headDim: number, capacity: number): KvStore;
  /** Writes k, v [T, numKvHeads·headDim] into `slots` [T] and tags them with `positions` [T]. */
  writeKv(store: KvStore, k: Tensor, v: Tensor, slots: Int32Array, positions: Int32Array): void;
  /** softmax(mask(softcap(q·kᵀ·scale)))·v over the store's filled slots; q [T, numHeads·headDim] at
   *  `positions` [T] → [T, numHeads·headDim]. Query head h reads KV head floor(h / (numHeads/numKvHeads)). */
  attention(q: Tensor, store: KvStore, positions: Int32Array, params: AttentionParams): Tensor;

  /**
   * Gemma 4 mixture of experts (spec §4.8) on x [T, H] with router logits [T, E]: softmax over all E, top-k,
   * renormalise, × perExpertScale; each chosen expert e computes down[e]·(act(g) ⊙ u) with [g; u] =
   * gateUp[e]·x. Returns the weighted sum [T, H].
   */
  moe(x: Tensor, routerLogits: Tensor, perExpertScale: Weight, gateUp: Weight, down: Weight, params: MoeParams): Tensor;

  /** Optional: greedy token per row of `logits` [rows, V], chosen where the logits live, so a GPU decode
   *  step reads back a few bytes instead of the vocabulary. Must equal argmax + log-softmax on the host. */
  sampleGreedy?(logits: Tensor): Promise<GreedySample>;
  /** Optional: the `k` (1–1024) largest logits of `logits` [1, V] and the row's log Σ exp, found where the
   *  logits live, so that a sampler with top-k reads back a few candidates instead of the vocabulary.
   *  Resolves null when too many logits tie near the k-th to narrow the row down (read the row instead). */
  topLogits?(logits: Tensor, k: number): Promise<TopLogits | null>;

  // Optional fusions: one kernel where a backend has one (each dispatch costs a GPU a few µs and JS a few
  // more); otherwise `model/fused-ops.ts` composes the plain ops. Each must match that composition within
  // the backend's op tolerance (the conformance suite checks).
  /** sum = (residual + rmsNorm(x, weight, form, eps, dim)) × the single value of `scalar` (null: × 1), and
   *  with a `next` weight also rmsNorm(sum, next, form, eps, dim), the norm that reads the sum: [sum, that]. */
  addNorm?(residual: Tensor, x: Tensor, weight: Weight, form: NormForm, eps: number, dim: number, scalar: Weight | null,
    next: Weight | null): readonly [Tensor, Tensor | null];
  /** matmul(x, w) for each weight (q, k and v), in that order. */
  matmulEach?(x: Tensor, ws: readonly Weight[]): Tensor[];
  /** act(x·gateᵀ) ⊙ (x·upᵀ): gatedActivation(matmul(x, gate), matmul(x, up), activation). */
  gatedMatmul?(x: Tensor, gate: Weight, up: Weight, activation: Activation): Tensor;
  /** rope(rmsNorm(x, weight, form, eps, headDim), positions, invFreq, headDim). */
  normRope?(x: Tensor, weight: Weight, form: NormForm, eps: number, positions: Int32Array, invFreq: Float32Array, headDim: number): Tensor;
  /** writeKv(store, rope(rmsNorm(k, kNorm, form, eps, headDim), positions, invFreq, headDim), v', slots, positions)
   *  with v' = rmsNorm(v, null, "none", eps, headDim) when `vNorm`, else v: a layer's new keys and values. */
  normRopeWriteKv?(store: KvStore, k: Tensor, v: Tensor, kNorm: Weight, form: NormForm, eps: number, vNorm: boolean,
    positions: Int32Array, invFreq: Float32Array, headDim: number, slots: Int32Array): void;
}
