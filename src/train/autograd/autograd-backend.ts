/**
 * The training backend: implements the op interface on float32 host arrays while recording a tape, so the
 * one decoder (src/model/decoder.ts) runs unchanged and its every op can be differentiated. Forward values
 * follow the reference backend (several ops call its functions directly); matmuls use the blocked kernels
 * in gemm.ts. Weights are `Parameter`s (float32 master copies with gradient accumulators) or `LoraWeight`s.
 *
 * Activation recomputation: with `recompute` on, each decoder layer (the decoder wraps every layer in a
 * `tidy` nested inside the forward's own) is a checkpoint segment: its forward runs, its intermediate
 * activations are dropped, and its backward first re-runs the layer to rebuild them. Memory then holds one
 * layer's activations instead of all of them; the gradients are identical.
 */
import type { Activation, AttentionParams, Backend, HostWeight, KvStore, MoeParams, NormForm, Tensor, Weight } from "../../backends/ops.js";
import { decodeQuantized } from "../../backends/reference/quantized-rows.js";
import { isQuantDtype } from "../../backends/weight-dtype.js";
import { toFloat32 } from "../../formats/dtype.js";
import { asGradStore, attentionOp, GradKvStore, writeKvOp } from "./attention-ops.js";
import {
  addOp, concatRowsOp, gatedActivationOp, mulOp, scaleByWeightOp, scaleOp, sliceColumnsOp, sliceRowsOp, softcapOp,
} from "./elementwise-ops.js";
import { embedOp, loraMatmulOp, matmulOp } from "./linear-ops.js";
import { moeOp } from "./moe-ops.js";
import { rmsNormOp } from "./norm-ops.js";
import { asParameter, asTrainWeight, LoraWeight, Parameter } from "./parameter.js";
import { ropeOp } from "./rope-ops.js";
import { Tape, Variable } from "./tape.js";

/** tidy depth of the decoder's per-layer calls: forward's tidy is 1, each layer's is 2. */
const LAYER_TIDY_DEPTH = 2;

export interface AutogradOptions {
  /** Re-run each layer's forward during backward instead of keeping its activations. */
  readonly recompute?: boolean;
}

export class AutogradBackend implements Backend {
  readonly name = "autograd";
  /** Where ops record their backward closures; null while gradients are off. */
  private tape: Tape | null = new Tape();
  private depth = 0;
  private replaying = false;
  /** Segments recorded by the last forward (for tests: proves recomputation ran). */
  segmentsRecorded = 0;
  recompute: boolean;
  /** LoRA dropout is applied only while training; its masks come from (dropoutSeed, call number, index). */
  training = false;
  dropoutSeed = 0;
  private dropoutCalls = 0;

  constructor(options: AutogradOptions = {}) {
    this.recompute = options.recompute ?? false;
  }

  /** Turns gradient recording on or off (off for evaluation: no tape, no retained activations). */
  setGradEnabled(enabled: boolean): void {
    this.tape = enabled ? new Tape() : null;
  }

  /** Starts a new forward pass: forgets any recorded tape and resets the dropout call counter. */
  reset(dropoutSeed = 0): void {
    if (this.tape) this.tape.clear();
    this.dropoutSeed = dropoutSeed >>> 0;
    this.dropoutCalls = 0;
    this.segmentsRecorded = 0;
  }

  /** Backpropagates from a [1] loss Variable (seeded with d loss/d loss = 1) through everything recorded. */
  backward(loss: Variable): void {
    if (!this.tape) throw new Error("backward called with gradients disabled");
    loss.gradBuffer()[0] = 1;
    this.tape.backward();
  }

  /** The tape ops record into now (a discarding one while gradients are off). */
  currentTape(): Tape {
    return this.recording;
  }

  private get recording(): Tape {
    return this.tape ?? DISCARD;
  }

  uploadWeight(weight: HostWeight): Weight {
    // Training keeps a float32 master copy of every weight (explicit conversion; storedDtype remembers).
    const data = weight.dtype === "f32" ? (weight.data as Float32Array)
      : isQuantDtype(weight.dtype) ? decodeQuantized(weight.dtype, weight.data as Uint8Array, 0, new Float32Array(weight.shape.reduce((a, b) => a * b, 1)))
      : toFloat32(weight.dtype, weight.data);
    return new Parameter(weight.shape, data, weight.dtype, true);
  }

  fromHost(values: Float32Array, shape: readonly number[]): Tensor {
    return new Variable([...shape], Float32Array.from(values), false);
  }

  read(x: Tensor): Promise<Float32Array> {
    return Promise.resolve(asVariable(x).data);
  }

  readSync(x: Tensor): Float32Array {
    return asVariable(x).data;
  }

  tidy<R extends Tensor | readonly Tensor[] | void>(fn: () => R): R {
    this.depth++;
    try {
      if (this.recompute && this.tape && !this.replaying && this.depth === LAYER_TIDY_DEPTH) return this.segment(fn);
      return fn();
    } finally {
      this.depth--;
    }
  }

  /** Runs `fn` as a checkpoint segment (see the file comment). */
  private segment<R extends Tensor | readonly Tensor[] | void>(fn: () => R): R {
    const outer = this.tape!;
    const dropoutStart = this.dropoutCalls;
    this.tape = new Tape(); // collects the segment's closures only to drop them
    let result: R;
    try {
      result = fn();
    } finally {
      this.tape = outer;
    }
    // A layer returns its output stream and the next norm's view of it (decoder.ts): every output's
    // gradient is handed to its replayed twin.
    const outputs = (Array.isArray(result) ? result : [result]) as unknown[];
    if (outputs.length === 0 || !outputs.every((o) => o instanceof Variable)) throw new Error("a recomputed segment must return tensors");
    const firsts = outputs as Variable[];
    this.segmentsRecorded++;
    outer.record(() => {
      const replayTape = new Tape();
      const dropoutNow = this.dropoutCalls;
      this.tape = replayTape;
      this.replaying = true;
      this.dropoutCalls = dropoutStart;
      let again: Tensor | readonly Tensor[] | void;
      try {
        again = fn();
      } finally {
        this.tape = outer;
        this.replaying = false;
        this.dropoutCalls = dropoutNow;
      }
      const replayed = (Array.isArray(again) ? again : [again]).map((t) => asVariable(t as Tensor));
      // Each output's gradient seeds its twin (set, not added: an output returned twice seeds it once).
      firsts.forEach((first, i) => {
        if (first.grad) replayed[i]!.gradBuffer().set(first.grad);
      });
      replayTape.backward();
    });
    return result;
  }

  release(_x: Tensor | Weight | KvStore): void {}

  embed(table: Weight, ids: Int32Array, scale: number): Tensor {
    return embedOp(this.recording, asParameter(table), ids, scale);
  }

  matmul(x: Tensor, w: Weight): Tensor {
    const tw = asTrainWeight(w);
    if (tw instanceof LoraWeight) {
      const call = this.dropoutCalls++;
      const uniform = this.training && tw.dropout > 0 ? (i: number) => hashUniform(this.dropoutSeed, call, i) : null;
      return loraMatmulOp(this.recording, asVariable(x), tw, uniform);
    }
    return matmulOp(this.recording, asVariable(x), tw);
  }

  rmsNorm(x: Tensor, weight: Weight | null, form: NormForm, eps: number, dim: number): Tensor {
    return rmsNormOp(this.recording, asVariable(x), weight && asParameter(weight), form, eps, dim);
  }

  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array, headDim: number): Tensor {
    return ropeOp(this.recording, asVariable(x), positions, invFreq, headDim);
  }

  gatedActivation(gate: Tensor, up: Tensor, activation: Activation): Tensor {
    return gatedActivationOp(this.recording, asVariable(gate), asVariable(up), activation);
  }

  add(a: Tensor, b: Tensor): Tensor {
    return addOp(this.recording, asVariable(a), asVariable(b));
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return mulOp(this.recording, asVariable(a), asVariable(b));
  }

  scale(x: Tensor, factor: number): Tensor {
    return scaleOp(this.recording, asVariable(x), factor);
  }

  scaleByWeight(x: Tensor, scalar: Weight): Tensor {
    return scaleByWeightOp(this.recording, asVariable(x), asParameter(scalar));
  }

  softcap(x: Tensor, cap: number): Tensor {
    return softcapOp(this.recording, asVariable(x), cap);
  }

  sliceRows(x: Tensor, start: number, count: number): Tensor {
    return sliceRowsOp(this.recording, asVariable(x), start, count);
  }

  concatRows(parts: readonly Tensor[]): Tensor {
    return concatRowsOp(this.recording, parts.map(asVariable));
  }

  sliceColumns(x: Tensor, start: number, count: number): Tensor {
    return sliceColumnsOp(this.recording, asVariable(x), start, count);
  }

  createKvStore(numKvHeads: number, headDim: number, capacity: number): KvStore {
    return new GradKvStore(numKvHeads, headDim, capacity);
  }

  writeKv(store: KvStore, k: Tensor, v: Tensor, slots: Int32Array, positions: Int32Array): void {
    writeKvOp(asGradStore(store), asVariable(k), asVariable(v), slots, positions, this.replaying);
  }

  attention(q: Tensor, store: KvStore, positions: Int32Array, params: AttentionParams): Tensor {
    return attentionOp(this.recording, asVariable(q), asGradStore(store), positions, params);
  }

  moe(x: Tensor, routerLogits: Tensor, perExpertScale: Weight, gateUp: Weight, down: Weight, params: MoeParams): Tensor {
    return moeOp(this.recording, asVariable(x), asVariable(routerLogits), asParameter(perExpertScale), asParameter(gateUp), asParameter(down), params);
  }
}

/** A tape nobody runs: ops record into it while gradients are off, and the closures are dropped at once. */
class DiscardTape extends Tape {
  override record(): void {}
}
const DISCARD = new DiscardTape();

export function asVariable(x: Tensor): Variable {
  if (!(x instanceof Variable)) throw new Error("tensor does not belong to the training backend");
  return x;
}

/** A uniform [0, 1) value from (seed, call, index) by integer hashing (stateless, so replays repeat it). */
export function hashUniform(seed: number, call: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(call + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(index + 1, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
