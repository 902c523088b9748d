/**
 * THE Gemma decoder: one implementation for Gemma 1, 2, 3 and 4, driven only by ModelConfig fields
 * (spec §1–§7). It runs on any Backend; the reference backend makes this file the executable spec.
 *
 * Shapes: T tokens in this call, H hidden, nH query heads, nKV kv heads, d head dim of the layer,
 * I intermediate, P per-layer-embedding width, L layers, V vocab.
 */
import type { AttentionParams, Backend, Tensor, Weight } from "../backends/ops.js";
import { addNormed, gatedMatmul, matmulEach, normedRope, writeNormedKv, type NormSpec } from "./fused-ops.js";
import type { KvCache } from "./kv-cache.js";
import type { LayerConfig, ModelConfig } from "./model-config.js";
import type { LayerWeights, ModelWeights } from "./model-weights.js";
import { ropeInverseFrequencies } from "./rope.js";
import { embedRows } from "./row-parts.js";

/** What a forward pass returns per sequence: logits of all rows or the last, the final (normed) hidden
 *  state of every row, or nothing to read ("none": a prefill chunk whose output is unused). */
export type LogitsWanted = "all" | "last" | "hidden" | "none";

export interface ForwardOptions {
  /** Which rows get logits: every token, only the last, or none (prefill of a chunk whose logits are unused). */
  readonly logits: LogitsWanted;
  /** Receives hidden states as transformers numbers them: 0 = scaled embeddings, i = output of layer i−1,
   *  L = last layer's output after the final norm. (Rows of every sequence of the batch, stacked.) */
  readonly onHiddenState?: (index: number, hidden: Tensor) => void;
}

/** One sequence's share of a batched forward pass. */
export interface SequenceStep {
  readonly ids: Int32Array;
  readonly cache: KvCache;
  readonly logits: LogitsWanted;
}

/** Row ranges of each sequence inside a batch's stacked [ΣT, ·] tensors. */
interface BatchRows {
  readonly steps: readonly SequenceStep[];
  readonly offsets: readonly number[];
  readonly positions: readonly Int32Array[];
}

/** 2^-½ in float32, as transformers' torch.rsqrt(torch.tensor(2.0)). */
const INV_SQRT2 = Math.fround(Math.SQRT1_2);

export class GemmaDecoder {
  private readonly invFreq: readonly Float32Array[];

  constructor(
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
    readonly backend: Backend,
  ) {
    this.invFreq = config.layers.map((layer) => ropeInverseFrequencies(layer.rope, layer.headDim));
  }

  /**
   * Runs `ids` [T] through the model at the cache's next positions, appending their keys and values.
   * Returns logits [T or 1, V] (or the final hidden state [T, H] when options.logits is "none").
   */
  forward(ids: Int32Array, cache: KvCache, options: ForwardOptions): Tensor {
    return this.forwardBatch([{ ids, cache, logits: options.logits }], options.onHiddenState)[0]!;
  }

  /**
   * Runs several sequences in one pass (continuous batching): their rows are stacked so each weight is read
   * once for all of them, while attention and the KV cache stay per sequence. Returns, per sequence, its
   * logits (all rows or the last) or its final hidden state when it asked for none.
   */
  forwardBatch(steps: readonly SequenceStep[], onHiddenState?: (index: number, hidden: Tensor) => void): Tensor[] {
    const { backend, config, weights } = this;
    const offsets: number[] = [];
    let total = 0;
    for (const step of steps) { offsets.push(total); total += step.ids.length; }
    const batch: BatchRows = { steps, offsets, positions: steps.map((s) => s.cache.nextPositions(s.ids.length)) };
    const ids = steps.length === 1 ? steps[0]!.ids : concatIds(steps.map((s) => s.ids), total);
    const results = backend.tidy(() => {
      let h = backend.embed(weights.embedTokens, ids, config.embedScale); // [ΣT, H]
      onHiddenState?.(0, h);
      const perLayerInputs = this.perLayerInputs(ids, h); // [ΣT, L·P] or null
      // Each layer also returns the next layer's normed input (after the last, the final norm's output):
      // that norm reads the sum the layer ends with, so a backend can do both in one pass.
      const firstNorm = weights.layers[0]?.inputNorm ?? null;
      const firstSpec = this.normSpec(config.numLayers > 0 ? firstNorm : weights.finalNorm);
      let x = firstSpec ? backend.rmsNorm(h, firstSpec.weight, firstSpec.form, firstSpec.eps, firstSpec.dim) : h;
      for (const layer of config.layers) {
        const input = h;
        const normedInput = x;
        const next = this.normSpec(layer.index < config.numLayers - 1 ? weights.layers[layer.index + 1]!.inputNorm : weights.finalNorm);
        [h, x] = backend.tidy(() => this.layer(layer, weights.layers[layer.index]!, input, normedInput, batch, perLayerInputs, next));
        // Each layer's input is dead once its output exists: freed now, not at the end of the pass, so a
        // long prefill holds two hidden states instead of one per layer (E2B, 512 tokens: 35 × 3 MB).
        backend.release(input);
        if (normedInput !== input) backend.release(normedInput);
        if (layer.index < config.numLayers - 1) onHiddenState?.(layer.index + 1, h);
      }
      h = x; // the final norm's output
      onHiddenState?.(config.numLayers, h);
      return steps.map((step, i) => {
        const rows = steps.length === 1 ? h : backend.sliceRows(h, offsets[i]!, step.ids.length);
        if (step.logits === "none" || step.logits === "hidden") return rows;
        const head = step.logits === "last" && step.ids.length > 1 ? backend.sliceRows(rows, step.ids.length - 1, 1) : rows;
        const logits = backend.matmul(head, weights.lmHead); // [T or 1, V]; the head does not apply the embedding scale
        return config.finalLogitSoftcap !== null ? backend.softcap(logits, config.finalLogitSoftcap) : logits;
      });
    });
    for (const step of steps) step.cache.advance(step.ids.length);
    return results;
  }

  /** Per-layer embeddings (spec §4.7): [T, L·P], row t holding ple[t, l, :] for each layer l. */
  private perLayerInputs(ids: Int32Array, h0: Tensor): Tensor | null {
    const { backend, config, weights } = this;
    const ple = config.perLayerEmbedding;
    if (!ple || !weights.perLayer) return null;
    // [T, L·P] tensors are large in a long prefill (E2B, 512 tokens: 18 MB each): each intermediate is
    // freed as soon as the next exists, so the pool hands its memory on instead of holding six at once.
    const then = (x: Tensor, next: Tensor): Tensor => { backend.release(x); return next; };
    const token = embedRows(backend, weights.perLayer.embed, ids, Math.fround(Math.sqrt(ple.dim)));
    // Projected from the already-scaled main embedding h0.
    let context = backend.matmul(h0, weights.perLayer.modelProjection);
    context = then(context, backend.scale(context, Math.fround(config.hiddenDim ** -0.5)));
    context = then(context, backend.rmsNorm(context, weights.perLayer.projectionNorm, config.normForm, config.rmsNormEps, ple.dim));
    const sum = backend.add(context, token);
    backend.release(context);
    backend.release(token);
    return then(sum, backend.scale(sum, INV_SQRT2));
  }

  /** The model's RMSNorm with `weight` over groups of `dim` values (the hidden size by default); null
   *  where the model has no such weight. */
  private normSpec(weight: Weight | null, dim = this.config.hiddenDim): NormSpec | null {
    return weight && { weight, form: this.config.normForm, eps: this.config.rmsNormEps, dim };
  }

  /** One decoder layer on the stream h, whose input-normed form is `input`; returns the new stream and
   *  next(stream), the following norm's view of it. */
  private layer(layer: LayerConfig, w: LayerWeights, h: Tensor, input: Tensor, batch: BatchRows, perLayerInputs: Tensor | null,
    next: NormSpec | null): readonly [Tensor, Tensor] {
    const { backend, config } = this;
    const norm = (x: Tensor, weight: LayerWeights["inputNorm"] | null): Tensor =>
      weight ? backend.rmsNorm(x, weight, config.normForm, config.rmsNormEps, config.hiddenDim) : x;
    const spec = (weight: Weight | null): NormSpec | null => this.normSpec(weight);

    // Attention's and the MLP's intermediates go back to the pool when each ends, not with the layer.
    const attended = backend.tidy(() => this.attention(layer, w, input, batch));
    if (input !== h) backend.release(input); // the caller's too, but dead from here: not held through the MLP
    const afterAttention = addNormed(backend, h, attended, spec(w.postAttentionNorm), null, { norm: spec(w.preFeedforwardNorm) });
    backend.release(attended);
    const residual = afterAttention.sum;
    const mlpInput = afterAttention.normed!;
    let ff = backend.tidy(() => this.mlp(w, mlpInput));
    if (mlpInput !== residual) backend.release(mlpInput);
    if (w.moe && config.moe) {
      ff = norm(ff, w.moe.postFeedforwardNorm1);
      // The router reads the un-normed residual, through its own weightless norm × scale × H^-½ (spec §4.8).
      let routerInput = backend.rmsNorm(residual, w.moe.routerScale, "scale", config.rmsNormEps, config.hiddenDim);
      routerInput = backend.scale(routerInput, Math.fround(config.hiddenDim ** -0.5));
      const routerLogits = backend.matmul(routerInput, w.moe.routerProj); // [T, E]
      const experts = backend.moe(norm(residual, w.moe.preFeedforwardNorm2), routerLogits, w.moe.perExpertScale, w.moe.gateUp, w.moe.down,
        { topK: config.moe.topK, activation: config.activation });
      ff = addNormed(backend, ff, experts, spec(w.moe.postFeedforwardNorm2), null).sum;
    }
    // layer_scalar multiplies the whole stream, residual included (spec pitfall 13), after the layer's
    // last residual add: the MLP's, or the per-layer input's where there is one.
    const perLayer = perLayerInputs && w.perLayerInput && config.perLayerEmbedding ? w.perLayerInput : null;
    if (!perLayer || !perLayerInputs || !config.perLayerEmbedding) {
      const out = addNormed(backend, residual, ff, spec(w.postFeedforwardNorm), w.layerScalar, { norm: next });
      return [out.sum, out.normed!];
    }
    const afterMlp = addNormed(backend, residual, ff, spec(w.postFeedforwardNorm), null).sum;
    const P = config.perLayerEmbedding.dim;
    const slice = backend.sliceColumns(perLayerInputs, layer.index * P, P); // [T, P]
    const gated = backend.gatedActivation(backend.matmul(afterMlp, perLayer.gate), slice, config.activation);
    const out = addNormed(backend, afterMlp, backend.matmul(gated, perLayer.projection), spec(perLayer.postNorm), w.layerScalar, { norm: next });
    return [out.sum, out.normed!];
  }

  private attention(layer: LayerConfig, w: LayerWeights, x: Tensor, batch: BatchRows): Tensor {
    const { backend, config } = this;
    const a = w.attention;
    const d = layer.headDim;
    const invFreq = this.invFreq[layer.index]!;
    const positions = batch.steps.length === 1 ? batch.positions[0]! : concatIds(batch.positions, x.shape[0]!);
    const headNorm = (weight: Weight | null): NormSpec | null => this.normSpec(weight, d);
    // The projections this layer computes (one fused call where the backend has one): q always; k, and v
    // unless k = v, where the layer has its own KV.
    const ownKv = layer.kvSharedFrom === null;
    if (ownKv && !a.k) throw new Error(`layer ${layer.index} has no k_proj`);
    const projections = ownKv ? [a.q, a.k!, ...(layer.kEqV ? [] : [a.v ?? missing(layer, "v_proj")])] : [a.q];
    const [rawQ, rawK, projectedV] = matmulEach(backend, x, projections); // [ΣT, nH·d], [ΣT, nKV·d] ×2
    const q = normedRope(backend, rawQ!, headNorm(a.qNorm), positions, invFreq, d);

    // k = v layers: V is the raw k_proj output, before k_norm and RoPE (spec pitfall 5).
    const rawV = rawK ? projectedV ?? rawK : null;
    const kNorm = headNorm(a.kNorm);
    const vNormEps = config.vNorm ? config.rmsNormEps : null;
    const params: AttentionParams = {
      numHeads: config.numHeads,
      numKvHeads: layer.numKvHeads,
      headDim: d,
      scale: layer.queryScale,
      softcap: config.attnLogitSoftcap,
      window: layer.slidingWindow,
    };
    // Keys and values go to each sequence's own cache; each sequence attends over its own cache.
    const single = batch.steps.length === 1;
    const outputs = batch.steps.map((step, i) => {
      const rows = (t: Tensor): Tensor => (single ? t : backend.sliceRows(t, batch.offsets[i]!, step.ids.length));
      const positionsOfStep = batch.positions[i]!;
      if (rawK && rawV) {
        // Normed and rotated per sequence (both are row by row): one fused dispatch where the backend has it.
        writeNormedKv(backend, step.cache.storeFor(layer), rows(rawK), rows(rawV), kNorm, vNormEps, positionsOfStep, invFreq, d,
          step.cache.slotsFor(layer, positionsOfStep));
      }
      return backend.attention(rows(q), step.cache.storeFor(layer), positionsOfStep, params); // [T, nH·d]
    });
    return backend.matmul(single ? outputs[0]! : backend.concatRows(outputs), a.o);
  }

  private mlp(w: LayerWeights, x: Tensor): Tensor {
    const { backend, config } = this;
    return backend.matmul(gatedMatmul(backend, x, w.mlp.gate, w.mlp.up, config.activation), w.mlp.down);
  }
}

function concatIds(parts: readonly Int32Array[], total: number): Int32Array {
  const out = new Int32Array(total);
  let offset = 0;
  for (const p of parts) { out.set(p, offset); offset += p.length; }
  return out;
}

function missing(layer: LayerConfig, what: string): never {
  throw new Error(`layer ${layer.index} has no ${what}`);
}
