/**
 * Unigram and bigram baselines for a model's validation loss, measured on the same packed token files
 * with the same targets: every stream position that `PackedTokenDataset` makes a target at the given
 * sequence length (positions 1 … numSequences·L), each predicted from the previous token only.
 *
 * - Unigram: add-k (Lidstone) smoothing, p(w) = (c(w) + k) / (N + kV), with k chosen from a grid by the
 *   cross-entropy on every tenth 64Ki-token block of the training stream after counting the other blocks
 *   (so tuning never sees validation data, and every source is in both parts), then refitted on all of it.
 * - Bigram: interpolated Kneser–Ney. p(w | v) = max(c(vw) − D, 0)/c(v·) + D·N₁₊(v·)/c(v·)·p_cont(w), where
 *   p_cont(w) = max(N₁₊(·w) − D₁, 0)/N₁₊(··) + D₁·|{w: N₁₊(·w) > 0}|/N₁₊(··) · 1/V (interpolated with the
 *   uniform distribution, so unseen tokens keep some mass). Discounts by Ney's estimate D = n₁/(n₁ + 2n₂)
 *   from the counts-of-counts (of bigram counts for D, of continuation counts for D₁; 0.5 when n₁ or n₂
 *   is zero). A history never
 *   seen in training falls back to p_cont.
 */
import { BadRequestError } from "../../errors.js";
import type { PackedTokenDataset } from "./packed-token-dataset.js";

export interface BaselineResult {
  /** Mean cross-entropy per target token, in nats. */
  readonly crossEntropy: number;
  readonly perplexity: number;
  readonly numTargets: number;
}

export interface NgramBaselines {
  readonly unigram: BaselineResult & { readonly addK: number };
  readonly bigram: BaselineResult & { readonly discount: number; readonly continuationDiscount: number };
}

const ADD_K_GRID = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30];
const CHUNK = 1 << 16;

/** Streams `count` ids from `start` through `visit(prev, id)` for each position after the first. */
function forEachBigram(data: PackedTokenDataset, start: number, count: number, visit: (prev: number, id: number) => void): void {
  let prev = -1;
  const buf = new Int32Array(CHUNK);
  for (let at = start; at < start + count; at += CHUNK) {
    const n = Math.min(CHUNK, start + count - at);
    data.readTokens(at, n, buf);
    for (let i = 0; i < n; i++) {
      const id = buf[i]!;
      if (prev >= 0) visit(prev, id);
      prev = id;
    }
  }
}

class NgramCounts {
  readonly unigram: Float64Array;
  readonly bigram = new Map<number, number>();
  total = 0;
  constructor(readonly vocabSize: number) { this.unigram = new Float64Array(vocabSize); }

  /** Counts the stream's tokens and bigrams, leaving out the tokens of blocks for which `skip` is true. */
  static count(data: PackedTokenDataset, skip: (block: number) => boolean = () => false): NgramCounts {
    const c = new NgramCounts(data.vocabSize);
    const first = data.readTokens(0, 1)[0]!;
    if (!skip(0)) {
      c.unigram[first]!++;
      c.total++;
    }
    let position = 0;
    forEachBigram(data, 0, data.numTokens, (prev, id) => {
      if (skip(Math.floor(++position / CHUNK))) return;
      c.unigram[id]!++;
      c.total++;
      const key = prev * c.vocabSize + id;
      c.bigram.set(key, (c.bigram.get(key) ?? 0) + 1);
    });
    return c;
  }
}

function unigramLogProb(c: NgramCounts, k: number): (id: number) => number {
  const denominator = Math.log(c.total + k * c.vocabSize);
  return (id) => Math.log(c.unigram[id]! + k) - denominator;
}

function ney(countsOfCounts: Map<number, number>): number {
  const n1 = countsOfCounts.get(1) ?? 0, n2 = countsOfCounts.get(2) ?? 0;
  // Without singletons or doubletons the estimate degenerates (0 would give unseen pairs no mass).
  return n1 > 0 && n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
}

function kneserNeyBigram(c: NgramCounts): { logProb: (prev: number, id: number) => number; discount: number; continuationDiscount: number } {
  const V = c.vocabSize;
  const historyTotal = new Float64Array(V);
  const historyTypes = new Float64Array(V);
  const continuation = new Float64Array(V);
  const bigramCountsOfCounts = new Map<number, number>();
  for (const [key, n] of c.bigram) {
    const prev = Math.floor(key / V), id = key % V;
    historyTotal[prev]! += n;
    historyTypes[prev]!++;
    continuation[id]!++;
    bigramCountsOfCounts.set(n, (bigramCountsOfCounts.get(n) ?? 0) + 1);
  }
  const D = ney(bigramCountsOfCounts);
  const continuationCountsOfCounts = new Map<number, number>();
  let continuationTotal = 0, continuationTypes = 0;
  for (let w = 0; w < V; w++) {
    const n = continuation[w]!;
    if (n === 0) continue;
    continuationTotal += n;
    continuationTypes++;
    continuationCountsOfCounts.set(n, (continuationCountsOfCounts.get(n) ?? 0) + 1);
  }
  const D1 = ney(continuationCountsOfCounts);
  const pCont = new Float64Array(V);
  for (let w = 0; w < V; w++) pCont[w] = Math.max(continuation[w]! - D1, 0) / continuationTotal + (D1 * continuationTypes / continuationTotal) / V;
  const logProb = (prev: number, id: number): number => {
    const h = historyTotal[prev]!;
    if (h === 0) return Math.log(pCont[id]!);
    const n = c.bigram.get(prev * V + id) ?? 0;
    return Math.log(Math.max(n - D, 0) / h + (D * historyTypes[prev]! / h) * pCont[id]!);
  };
  return { logProb, discount: D, continuationDiscount: D1 };
}

function evaluate(data: PackedTokenDataset, logProb: (prev: number, id: number) => number): BaselineResult {
  const numTargets = data.numSequences * data.sequenceLength;
  if (numTargets === 0) throw new BadRequestError(`${data.path}: no whole sequence of ${data.sequenceLength} tokens to evaluate`);
  let nats = 0;
  forEachBigram(data, 0, numTargets + 1, (prev, id) => { nats -= logProb(prev, id); });
  const crossEntropy = nats / numTargets;
  return { crossEntropy, perplexity: Math.exp(crossEntropy), numTargets };
}

export interface NgramModels {
  /** ln p(id) under the add-k unigram. */
  readonly unigram: (id: number) => number;
  /** ln p(id | prev) under the interpolated Kneser–Ney bigram. */
  readonly bigram: (prev: number, id: number) => number;
  readonly addK: number;
  readonly discount: number;
  readonly continuationDiscount: number;
}

/** Fits both models on the whole stream of `train` (k tuned on blocks of it, as described above). */
export function fitNgramModels(train: PackedTokenDataset): NgramModels {
  // Tune k on every tenth block of the training stream, counting the rest.
  const tuning = (block: number): boolean => block % 10 === 9;
  const fit = NgramCounts.count(train, tuning);
  let addK = ADD_K_GRID[0]!, bestLoss = Infinity;
  for (const k of ADD_K_GRID) {
    const lp = unigramLogProb(fit, k);
    let nats = 0, n = 0, position = 0;
    forEachBigram(train, 0, train.numTokens, (_prev, id) => {
      if (!tuning(Math.floor(++position / CHUNK))) return;
      nats -= lp(id);
      n++;
    });
    if (n > 0 && nats / n < bestLoss) { bestLoss = nats / n; addK = k; }
  }
  const all = NgramCounts.count(train);
  const kn = kneserNeyBigram(all);
  return { unigram: unigramLogProb(all, addK), bigram: kn.logProb, addK, discount: kn.discount, continuationDiscount: kn.continuationDiscount };
}

/** Fits both baselines on `train` (all of its stream) and measures them on `validation`'s targets. */
export function measureNgramBaselines(train: PackedTokenDataset, validation: PackedTokenDataset): NgramBaselines {
  if (train.vocabSize !== validation.vocabSize) throw new BadRequestError(`train vocabulary ${train.vocabSize} differs from validation's ${validation.vocabSize}`);
  const models = fitNgramModels(train);
  return {
    unigram: { ...evaluate(validation, (_prev, id) => models.unigram(id)), addK: models.addK },
    bigram: { ...evaluate(validation, models.bigram), discount: models.discount, continuationDiscount: models.continuationDiscount },
  };
}
