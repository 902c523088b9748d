/**
 * THE Gemma decoder: one implementation for Gemma 1, 2, 3 and 4, driven only by ModelConfig fields
 * (spec §1–§7). It runs on any Backend; the reference backend makes this file the executable spec.
 *
 * Shapes: T tokens in this call, H hidden, nH query heads, nKV kv heads, d head dim of the layer,
 * I intermediate, P per-layer-embedding width, L layers, V vocab.
 */
import type { AttentionParams, Backend, Tensor } from "../backends/ops.js";
import type { KvCache } from "./kv-cache.js";
import type { LayerConfig, ModelConfig } from "./model-config.js";
import type { LayerWeights, ModelWeights } from "./model-weights.js";
import { ropeInverseFrequencies } from "./rope.js";

export interface ForwardOptions {
  /** Which rows get logits: every token, only the last, or none (prefill of a chunk whose logits are unused). */
  readonly logits: "all" | "last" | "none";
  /** Receives hidden states as transformers numbers them: 0 = scaled embeddings, i = output of layer i−1,
   *  L = last layer's output after the final norm. */
  readonly onHiddenState?: (index: number, hidden: Tensor) => void;
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
    const { backend, config, weights } = this;
    const positions = cache.nextPositions(ids.length);
    const result = backend.tidy(() => {
      let h = backend.embed(weights.embedTokens, ids, config.embedScale); // [T, H]
      options.onHiddenState?.(0, h);
      const perLayerInputs = this.perLayerInputs(ids, h); // [T, L·P] or null
      for (const layer of config.layers) {
        const input = h;
        h = backend.tidy(() => this.layer(layer, weights.layers[layer.index]!, input, positions, cache, perLayerInputs));
        if (layer.index < config.numLayers - 1) options.onHiddenState?.(layer.index + 1, h);
      }
      h = backend.rmsNorm(h, weights.finalNorm, config.normForm, config.rmsNormEps, config.hiddenDim);
      options.onHiddenState?.(config.numLayers, h);
      if (options.logits === "none") return h;
      if (options.logits === "last" && ids.length > 1) h = backend.sliceRows(h, ids.length - 1, 1);
      let logits = backend.matmul(h, weights.lmHead); // [T, V]; the head does not apply the embedding scale
      if (config.finalLogitSoftcap !== null) logits = backend.softcap(logits, config.finalLogitSoftcap);
      return logits;
    });
    cache.advance(ids.length);
    return result;
  }

  /** Per-layer embeddings (spec §4.7): [T, L·P], row t holding ple[t, l, :] for each layer l. */
  private perLayerInputs(ids: Int32Array, h0: Tensor): Tensor | null {
    const { backend, config, weights } = this;
    const ple = config.perLayerEmbedding;
    if (!ple || !weights.perLayer) return null;
    const token = backend.embed(weights.perLayer.embed, ids, Math.fround(Math.sqrt(ple.dim)));
    // Projected from the already-scaled main embedding h0.
    let context = backend.matmul(h0, weights.perLayer.modelProjection);
    context = backend.scale(context, Math.fround(config.hiddenDim ** -0.5));
    context = backend.rmsNorm(context, weights.perLayer.projectionNorm, config.normForm, config.rmsNormEps, ple.dim);
    return backend.scale(backend.add(context, token), INV_SQRT2);
  }

  private layer(layer: LayerConfig, w: LayerWeights, h: Tensor, positions: Int32Array, cache: KvCache, perLayerInputs: Tensor | null): Tensor {
    const { backend, config } = this;
    const norm = (x: Tensor, weight: LayerWeights["inputNorm"] | null): Tensor =>
      weight ? backend.rmsNorm(x, weight, config.normForm, config.rmsNormEps, config.hiddenDim) : x;

    const attended = this.attention(layer, w, norm(h, w.inputNorm), positions, cache);
    h = backend.add(h, norm(attended, w.postAttentionNorm));

    const residual = h;
    let ff = this.mlp(w, norm(residual, w.preFeedforwardNorm));
    if (w.moe && config.moe) {
      ff = norm(ff, w.moe.postFeedforwardNorm1);
      // The router reads the un-normed residual, through its own weightless norm × scale × H^-½ (spec §4.8).
      let routerInput = backend.rmsNorm(residual, w.moe.routerScale, "scale", config.rmsNormEps, config.hiddenDim);
      routerInput = backend.scale(routerInput, Math.fround(config.hiddenDim ** -0.5));
      const routerLogits = backend.matmul(routerInput, w.moe.routerProj); // [T, E]
      const experts = backend.moe(norm(residual, w.moe.preFeedforwardNorm2), routerLogits, w.moe.perExpertScale, w.moe.gateUp, w.moe.down,
        { topK: config.moe.topK, activation: config.activation });
      ff = backend.add(ff, norm(experts, w.moe.postFeedforwardNorm2));
    }
    h = backend.add(residual, norm(ff, w.postFeedforwardNorm));

    if (perLayerInputs && w.perLayerInput && config.perLayerEmbedding) {
      const P = config.perLayerEmbedding.dim;
      const slice = backend.sliceColumns(perLayerInputs, layer.index * P, P); // [T, P]
      const gated = backend.gatedActivation(backend.matmul(h, w.perLayerInput.gate), slice, config.activation);
      h = backend.add(h, norm(backend.matmul(gated, w.perLayerInput.projection), w.perLayerInput.postNorm));
    }
    // layer_scalar multiplies the whole stream, residual included (spec pitfall 13).
    if (w.layerScalar) h = backend.scaleByWeight(h, w.layerScalar);
    return h;
  }

  private attention(layer: LayerConfig, w: LayerWeights, x: Tensor, positions: Int32Array, cache: KvCache): Tensor {
    const { backend, config } = this;
    const a = w.attention;
    const d = layer.headDim;
    const invFreq = this.invFreq[layer.index]!;
    let q = backend.matmul(x, a.q); // [T, nH·d]
    if (a.qNorm) q = backend.rmsNorm(q, a.qNorm, config.normForm, config.rmsNormEps, d);
    q = backend.rope(q, positions, invFreq, d);

    if (layer.kvSharedFrom === null) {
      if (!a.k) throw new Error(`layer ${layer.index} has no k_proj`);
      const rawK = backend.matmul(x, a.k); // [T, nKV·d]
      // k = v layers: V is the raw k_proj output, before k_norm and RoPE (spec pitfall 5).
      const rawV = layer.kEqV ? rawK : backend.matmul(x, a.v ?? missing(layer, "v_proj"));
      let k = a.kNorm ? backend.rmsNorm(rawK, a.kNorm, config.normForm, config.rmsNormEps, d) : rawK;
      k = backend.rope(k, positions, invFreq, d);
      const v = config.vNorm ? backend.rmsNorm(rawV, null, "none", config.rmsNormEps, d) : rawV;
      const store = cache.storeFor(layer);
      backend.writeKv(store, k, v, cache.slotsFor(layer, positions), positions);
    }
    const params: AttentionParams = {
      numHeads: config.numHeads,
      numKvHeads: layer.numKvHeads,
      headDim: d,
      scale: layer.queryScale,
      softcap: config.attnLogitSoftcap,
      window: layer.slidingWindow,
    };
    const out = backend.attention(q, cache.storeFor(layer), positions, params); // [T, nH·d]
    return backend.matmul(out, a.o);
  }

  private mlp(w: LayerWeights, x: Tensor): Tensor {
    const { backend, config } = this;
    const gated = backend.gatedActivation(backend.matmul(x, w.mlp.gate), backend.matmul(x, w.mlp.up), config.activation);
    return backend.matmul(gated, w.mlp.down);
  }
}

function missing(layer: LayerConfig, what: string): never {
  throw new Error(`layer ${layer.index} has no ${what}`);
}
