/**
 * Turns one row of logits into a token: greedy argmax, or sampling after temperature, top-k, top-p and
 * min-p (applied in that order, as transformers' generate does). Seeded: the same seed and logits give the
 * same tokens.
 */
import { BadRequestError } from "../errors.js";
import { TOP_LOGITS_MAX_K, type TopLogits } from "../backends/ops.js";
import { SeededRandom, randomSeed } from "./rng.js";

export interface SamplingOptions {
  /** Argmax decoding (the default when temperature is 0 or unset). */
  readonly greedy?: boolean;
  readonly temperature?: number;
  /** Keep the k most likely tokens (0 = off). */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 = off). */
  readonly topP?: number;
  /** Drop tokens less likely than minP × the most likely one's probability (0 = off). */
  readonly minP?: number;
  readonly seed?: number;
}

export interface SampledToken {
  readonly id: number;
  /** Log-probability of the token under the full (unfiltered, temperature 1) distribution. */
  readonly logprob: number;
}

export function validateSampling(o: SamplingOptions): void {
  const check = (ok: boolean, field: string, why: string): void => {
    if (!ok) throw new BadRequestError(`${field} ${why}`, field);
  };
  if (o.temperature !== undefined) check(Number.isFinite(o.temperature) && o.temperature >= 0, "temperature", `must be ≥ 0, not ${o.temperature}`);
  if (o.topK !== undefined) check(Number.isInteger(o.topK) && o.topK >= 0, "top_k", `must be an integer ≥ 0, not ${o.topK}`);
  if (o.topP !== undefined) check(o.topP > 0 && o.topP <= 1, "top_p", `must be in (0, 1], not ${o.topP}`);
  if (o.minP !== undefined) check(o.minP >= 0 && o.minP <= 1, "min_p", `must be in [0, 1], not ${o.minP}`);
  if (o.seed !== undefined) check(Number.isSafeInteger(o.seed), "seed", `must be an integer, not ${o.seed}`);
}

export class Sampler {
  private readonly rng: SeededRandom;
  readonly greedy: boolean;

  constructor(readonly options: SamplingOptions = {}) {
    validateSampling(options);
    this.greedy = options.greedy === true || !options.temperature;
    this.rng = new SeededRandom(options.seed ?? randomSeed());
  }

  /**
   * How many of the most likely tokens this sampler needs to choose from a vocabulary of `vocab`: 1 when
   * greedy, k with top-k; null when it needs the whole row (no top-k, or one too large to pick out).
   * `sampleTop` given that many makes exactly the choice `sample` makes from the row.
   */
  candidatesNeeded(vocab: number): number | null {
    if (this.greedy) return 1;
    const topK = this.options.topK ?? 0;
    return topK > 0 && topK < vocab && topK <= TOP_LOGITS_MAX_K ? topK : null;
  }

  /** Picks a token from `logits` (one row, length V). `logits` is not modified. */
  sample(logits: Float32Array): SampledToken {
    const V = logits.length;
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
    if (this.greedy) return { id: best, logprob: logits[best]! - logSumExpOf(logits, logits[best]!) };
    const [chosen, rowSum] = this.draw(logits, best);
    // A draw at temperature 1 that summed the whole row's weights summed exactly what logSumExpOf sums.
    const logSumExp = rowSum === null ? logSumExpOf(logits, logits[best]!) : logits[best]! + Math.log(rowSum);
    return { id: chosen, logprob: logits[chosen]! - logSumExp };
  }

  /** Picks a token from the row's `candidatesNeeded` most likely tokens (Backend.topLogits). */
  sampleTop(top: TopLogits): SampledToken {
    const k = this.greedy ? 1 : this.options.topK ?? 0;
    if (top.ids.length < k || k === 0) throw new Error(`sampleTop: ${top.ids.length} candidates for a sampler that needs ${k || "the whole row"}`);
    const pick = this.greedy ? 0 : this.pickAmong(Float64Array.from(top.values.subarray(0, k), this.weightOf(top.values[0]!)));
    return { id: top.ids[pick]!, logprob: top.values[pick]! - top.logSumExp };
  }

  /** A logit's weight exp(x/T − max/T) relative to the largest logit `max`. */
  private weightOf(max: number): (logit: number) => number {
    const temperature = this.options.temperature ?? 1;
    const maxScaled = max / temperature;
    return (logit) => Math.exp(logit / temperature - maxScaled);
  }

  /** The chosen index, and Σ exp(x − max) over the row where the draw computed it at temperature 1 (else null). */
  private draw(logits: Float32Array, best: number): [number, number | null] {
    const V = logits.length;
    const { topK = 0, topP = 1, minP = 0 } = this.options;
    const weightOfLogit = this.weightOf(logits[best]!);
    const weight = (i: number): number => weightOfLogit(logits[i]!);
    // min-p keeps tokens whose probability is at least minP × the top token's (whose weight is 1).
    const minWeight = minP;
    // At temperature 1 a weight is exactly logSumExpOf's term, exp(x − max).
    const unscaled = (this.options.temperature ?? 1) === 1;

    if ((topK === 0 || topK >= V) && topP >= 1) {
      // No ranking needed: one pass over the vocabulary.
      let total = 0;
      for (let i = 0; i < V; i++) { const w = weight(i); if (w >= minWeight) total += w; }
      const rowSum = minWeight === 0 && unscaled ? total : null;
      let r = this.rng.nextFloat() * total;
      for (let i = 0; i < V; i++) {
        const w = weight(i);
        if (w < minWeight) continue;
        r -= w;
        if (r < 0) return [i, rowSum];
      }
      return [best, rowSum];
    }

    // Candidates, most likely first: the top k, or (top-p alone) just enough to cover the nucleus.
    if (topK > 0 && topK < V) {
      const candidates = topIndices(logits, topK);
      return [candidates[this.pickAmong(Float64Array.from(candidates, weight))]!, null];
    }
    // Top-p alone: the total mass, and a histogram of it by logit, in one pass; then only the logits in the
    // bins that reach p are sorted (the nucleus and the rest of its last bin), not the whole vocabulary.
    const temperature = this.options.temperature ?? 1;
    const max = logits[best]!;
    const maxScaled = max / temperature; // weight(i), inlined: this loop is the sampler's cost per token
    let min = max;
    for (let i = 0; i < V; i++) { const v = logits[i]!; if (v < min && v > -Infinity) min = v; }
    const binned = max > min && Number.isFinite(max - min) && V <= INDEX_RANGE;
    const scale = NUCLEUS_BINS / (max - min);
    const binOf = binned ? new Uint16Array(V) : null;
    const bins = new Float64Array(NUCLEUS_BINS);
    let total = 0;
    for (let i = 0; i < V; i++) {
      const logit = logits[i]!;
      const w = Math.exp(logit / temperature - maxScaled);
      total += w;
      if (binOf) {
        const x = (max - logit) * scale; // ≥ 0; ∞ for −∞ logits
        const b = x < NUCLEUS_BINS - 1 ? x | 0 : NUCLEUS_BINS - 1;
        binOf[i] = b;
        bins[b]! += w;
      }
    }
    const needed = topP * total;
    const enough = (sorted: Int32Array): boolean => {
      let mass = 0;
      for (const i of sorted) mass += weight(i);
      return mass >= needed;
    };
    const candidates = (binOf && nucleusCandidates(logits, binOf, bins, needed, enough)) || topIndices(logits, V, enough);
    return [candidates[this.pickAmong(Float64Array.from(candidates, weight), total)]!, unscaled ? total : null];
  }

  /**
   * Index of the candidate drawn from `probs` (weights, most likely first) after top-p and min-p; `total`
   * is the mass top-p is a share of (default: the candidates' own, as with top-k).
   */
  private pickAmong(probs: Float64Array, total?: number): number {
    const { topP = 1, minP = 0 } = this.options;
    let mass = total;
    if (mass === undefined) {
      mass = 0;
      for (const p of probs) mass += p;
    }
    let count = probs.length;
    if (topP < 1) {
      // The smallest prefix whose mass reaches p (always at least one token).
      let covered = 0;
      let keep = 0;
      while (keep < count && covered < topP * mass) covered += probs[keep++]!;
      count = Math.max(1, keep);
    }
    if (minP > 0) {
      let keep = 1;
      while (keep < count && probs[keep]! >= minP * probs[0]!) keep++;
      count = keep;
    }
    let kept = 0;
    for (let i = 0; i < count; i++) kept += probs[i]!;
    let r = this.rng.nextFloat() * kept;
    for (let i = 0; i < count; i++) {
      r -= probs[i]!;
      if (r < 0) return i;
    }
    return count - 1;
  }
}

/** Logit bins of the top-p histogram (equal widths from the largest logit down to the smallest finite
 *  one): bin 0 holds the largest. */
const NUCLEUS_BINS = 4096;

/**
 * The logits of the first bins whose mass reaches `needed` (with a margin for the order of summation),
 * sorted as topIndices sorts; null unless that sorted list is `enough` (then the caller selects the usual
 * way). The nucleus — the shortest sorted prefix reaching `needed` — is a prefix of it, so sampling from it
 * chooses exactly what sampling from the sorted vocabulary does.
 */
function nucleusCandidates(logits: Float32Array, binOf: Uint16Array, bins: Float64Array, needed: number,
  enough: (sorted: Int32Array) => boolean): Int32Array | null {
  let mass = 0;
  let last = bins.length - 1;
  for (let b = 0; b < bins.length; b++) {
    mass += bins[b]!;
    if (mass >= needed * (1 + 1e-9)) { last = b; break; }
  }
  const picked: number[] = [];
  for (let i = 0; i < logits.length; i++) if (binOf[i]! <= last) picked.push(i);
  const sorted = sortedByLogit(logits, picked);
  return enough(sorted) ? sorted : null;
}

/** Indices below this fit beside a float's 32-bit order key in a double's 53 bits. */
const INDEX_RANGE = 2 ** 21;
const keyScratch = new Float32Array(1);
const keyBits = new Uint32Array(keyScratch.buffer);

/** A number whose ascending order is (value descending, index ascending); −0 sorts as +0. */
function descendingKey(value: number, index: number): number {
  keyScratch[0] = value === 0 ? 0 : value;
  const u = keyBits[0]!;
  const ascending = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
  return (0xffffffff - ascending) * INDEX_RANGE + index;
}

/** `indices` ordered by logit, largest first, ties by lower index (the samplers' one order): a numeric
 *  sort of packed keys, or a comparator past INDEX_RANGE logits. */
function sortedByLogit(logits: Float32Array, indices: readonly number[]): Int32Array {
  if (logits.length > INDEX_RANGE) return Int32Array.from([...indices].sort((a, b) => logits[b]! - logits[a]! || a - b));
  const keys = Float64Array.from(indices, (i) => descendingKey(logits[i]!, i));
  keys.sort();
  return Int32Array.from(keys, (k) => k % INDEX_RANGE);
}

function logSumExpOf(logits: Float32Array, max: number): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum);
}

/**
 * Indices of the `limit` largest logits, in descending order (ties: lower index first). With `enough`, stops
 * growing early once a prefix satisfies it (top-p needs only as many candidates as its nucleus), by
 * doubling a partial selection instead of sorting the whole vocabulary.
 */
export function topIndices(logits: Float32Array, limit: number, enough?: (sorted: Int32Array) => boolean): Int32Array {
  const V = logits.length;
  let k = Math.min(limit, enough ? 64 : limit);
  for (;;) {
    const sorted = partialSort(logits, k);
    if (k >= limit || !enough || enough(sorted)) return sorted;
    k = Math.min(limit, k * 4, V);
  }
}

function partialSort(logits: Float32Array, k: number): Int32Array {
  const V = logits.length;
  if (k >= V / 4) return sortedByLogit(logits, Array.from({ length: V }, (_, i) => i)).slice(0, k);
  // Threshold: the k-th largest value, by selecting on a copy.
  const values = Float32Array.from(logits);
  const kth = quickselectDescending(values, k - 1);
  const picked: number[] = [];
  for (let i = 0; i < V; i++) if (logits[i]! > kth) picked.push(i);
  for (let i = 0; i < V && picked.length < k; i++) if (logits[i]! === kth) picked.push(i);
  return sortedByLogit(logits, picked).slice(0, k);
}

function quickselectDescending(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) { const t = a[i]!; a[i] = a[j]!; a[j] = t; i++; j--; }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
