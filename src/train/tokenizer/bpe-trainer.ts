/**
 * Byte-pair-encoding trainer for a Gemma-style vocabulary: reserved tokens, the 256 byte-fallback tokens,
 * a base alphabet of characters, then one token per learned merge.
 *
 * Classic word-count BPE: each distinct training piece is a symbol sequence weighted by its count. Pair
 * counts live in a map keyed by `left * 65536 + right`; a max-heap with lazy entries picks the most
 * frequent pair; merging updates only the pieces that hold the pair (found through a pair → pieces
 * index) and changes the counts by their net delta, so a merge costs time in proportion to the pieces
 * it touches rather than to the corpus. Ties go to the pair with the smaller (left, right) ids, and the
 * pieces are visited in sorted order, so the result depends only on the counts: training is deterministic.
 */
import { BadRequestError } from "../../errors.js";
import { byteToken } from "./special-tokens.js";

export interface BpeTrainerOptions {
  /** Size of the finished vocabulary: reserved + 256 byte tokens + alphabet + merged tokens. At most 65536. */
  readonly vocabSize: number;
  /** Tokens given the first ids, in order (special and control tokens). They never take part in merges. */
  readonly reservedTokens: readonly string[];
  /** A character seen fewer times than this is left out of the alphabet (byte fallback encodes it). */
  readonly minCharCount: number;
  /** Characters put in the alphabet whatever their count (e.g. printable ASCII). */
  readonly requiredChars: string;
  /** A pair seen fewer times than this is never merged; training may then stop short of vocabSize. */
  readonly minPairCount?: number;
}

export interface TrainedBpe {
  /** Token text by id. */
  readonly tokens: readonly string[];
  /** Merges in rank order, as [left, right] token texts. */
  readonly merges: readonly (readonly [string, string])[];
  /** Ids below this are reserved tokens, byte tokens and the alphabet; merged tokens follow. */
  readonly numBaseTokens: number;
}

const PAIR_KEY_BASE = 65536;

/** Trains merges over `pieceCounts` (training piece → occurrences), e.g. from `countTrainingPieces`. */
export function trainBpe(pieceCounts: ReadonlyMap<string, number>, options: BpeTrainerOptions): TrainedBpe {
  const { vocabSize, reservedTokens, minCharCount, requiredChars } = options;
  const minPairCount = options.minPairCount ?? 2;
  if (!Number.isInteger(vocabSize) || vocabSize > PAIR_KEY_BASE) throw new BadRequestError(`vocabSize ${vocabSize} must be an integer of at most ${PAIR_KEY_BASE}`, "vocabSize");

  const tokens: string[] = [];
  const idOf = new Map<string, number>();
  const add = (text: string): number => {
    const existing = idOf.get(text);
    if (existing !== undefined) return existing;
    idOf.set(text, tokens.length);
    tokens.push(text);
    return tokens.length - 1;
  };
  for (const t of reservedTokens) {
    if (idOf.has(t)) throw new BadRequestError(`reserved token ${JSON.stringify(t)} is listed twice`, "reservedTokens");
    add(t);
  }
  for (let b = 0; b < 256; b++) add(byteToken(b));
  // Reserved and byte tokens are matched as whole tokens, never built from characters: keep them out of
  // the character→id map used below by giving the alphabet its own map.
  const charIds = new Map<string, number>();
  const charCounts = new Map<string, number>();
  for (const [piece, n] of pieceCounts) for (const ch of piece) charCounts.set(ch, (charCounts.get(ch) ?? 0) + n);
  const alphabet = new Set<string>(Array.from(requiredChars));
  for (const [ch, n] of charCounts) if (n >= minCharCount) alphabet.add(ch);
  for (const ch of [...alphabet].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!)) {
    if (idOf.has(ch)) throw new BadRequestError(`character ${JSON.stringify(ch)} is also a reserved token`, "reservedTokens");
    charIds.set(ch, add(ch));
  }
  const numBaseTokens = tokens.length;
  if (numBaseTokens > vocabSize) throw new BadRequestError(`vocabSize ${vocabSize} is smaller than the ${numBaseTokens} reserved, byte and alphabet tokens`, "vocabSize");

  // Pieces as symbol-id arrays; -1 marks a character outside the alphabet, which never pairs.
  const pieces = [...pieceCounts.keys()].sort();
  const words: Int32Array[] = pieces.map((p) => Int32Array.from(Array.from(p), (ch) => charIds.get(ch) ?? -1));
  const freqs = Float64Array.from(pieces, (p) => pieceCounts.get(p)!);

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  for (let w = 0; w < words.length; w++) {
    const word = words[w]!;
    for (let i = 0; i + 1 < word.length; i++) {
      const a = word[i]!, b = word[i + 1]!;
      if (a < 0 || b < 0) continue;
      const key = a * PAIR_KEY_BASE + b;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + freqs[w]!);
      const list = pairWords.get(key);
      if (!list) pairWords.set(key, [w]);
      else if (list[list.length - 1] !== w) list.push(w);
    }
  }
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  const merges: [string, string][] = [];
  // A merged string can equal an older token (made along another path); then the pieces gain adjacencies
  // that an earlier merge already consumed. Merging such a pair twice would give it two ranks, so skip it.
  const mergedPairs = new Set<number>();
  const visited = new Int32Array(words.length).fill(-1);
  while (tokens.length < vocabSize) {
    let best = heap.pop();
    while (best && (pairCounts.get(best.key) !== best.count || mergedPairs.has(best.key))) best = heap.pop();
    if (!best || best.count < minPairCount) break;
    const key = best.key;
    mergedPairs.add(key);
    const a = Math.floor(key / PAIR_KEY_BASE), b = key % PAIR_KEY_BASE;
    const c = add(tokens[a]! + tokens[b]!);
    const mergeIndex = merges.length;
    merges.push([tokens[a]!, tokens[b]!]);

    const delta = new Map<number, number>();
    const bump = (x: number, y: number, n: number): void => {
      if (x < 0 || y < 0) return;
      const k = x * PAIR_KEY_BASE + y;
      delta.set(k, (delta.get(k) ?? 0) + n);
    };
    for (const w of pairWords.get(key) ?? []) {
      if (visited[w] === mergeIndex) continue;
      visited[w] = mergeIndex;
      const word = words[w]!;
      const f = freqs[w]!;
      const merged: number[] = [];
      let changed = false;
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          merged.push(c);
          i++;
          changed = true;
        } else {
          merged.push(word[i]!);
        }
      }
      if (!changed) continue;
      for (let i = 0; i + 1 < word.length; i++) bump(word[i]!, word[i + 1]!, -f);
      for (let i = 0; i + 1 < merged.length; i++) {
        bump(merged[i]!, merged[i + 1]!, f);
        if (merged[i] === c || merged[i + 1] === c) {
          const k = merged[i]! * PAIR_KEY_BASE + merged[i + 1]!;
          if (merged[i]! < 0 || merged[i + 1]! < 0) continue;
          const list = pairWords.get(k);
          if (!list) pairWords.set(k, [w]);
          else if (list[list.length - 1] !== w) list.push(w);
        }
      }
      words[w] = Int32Array.from(merged);
    }
    pairWords.delete(key);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const count = (pairCounts.get(k) ?? 0) + d;
      if (count <= 0) pairCounts.delete(k);
      else {
        pairCounts.set(k, count);
        heap.push(count, k);
      }
    }
  }
  return { tokens, merges, numBaseTokens };
}

/** Max-heap of (count, key) entries: larger count first, then smaller key. Stale entries are skipped by the caller. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } | undefined {
    const n = this.counts.length;
    if (n === 0) return undefined;
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    this.swap(0, n - 1);
    this.counts.pop();
    this.keys.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let best = i;
      if (l < n - 1 && this.before(l, best)) best = l;
      if (r < n - 1 && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!, cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i]!; this.counts[i] = this.counts[j]!; this.counts[j] = c;
    const k = this.keys[i]!; this.keys[i] = this.keys[j]!; this.keys[j] = k;
  }
}
