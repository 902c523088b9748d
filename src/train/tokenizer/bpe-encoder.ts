/**
 * A pure-TypeScript encoder for Gemma-style byte-fallback BPE tokenizers (the kind `bpe-trainer.ts`
 * makes), giving exactly the ids `@huggingface/tokenizers` gives for the same `tokenizer.json`, but fast
 * enough to tokenize a training corpus: it caches the encoding of each chunk of text.
 *
 * The algorithm is the reference one: added tokens are matched first; the rest is normalised (" " → "▁")
 * and split into characters; then, repeatedly, the adjacent pair with the lowest merge rank is merged,
 * the leftmost first among equal ranks; characters outside the vocabulary become their UTF-8 byte tokens.
 *
 * Chunking is what makes it fast, and it is exact: two adjacent characters x, y that occur next to each
 * other inside no token can never end up in the same symbol, so the text can be cut between them and
 * each chunk encoded (and cached) on its own with the same result. In practice the chunks are words.
 */
import { BadFileError, UnsupportedError } from "../../errors.js";
import { byteToken, METASPACE } from "./special-tokens.js";

export interface BpeVocabulary {
  /** Token text by id. */
  readonly tokens: readonly string[];
  /** Merges in rank order. */
  readonly merges: readonly (readonly [string, string])[];
  /** Texts matched as whole tokens before BPE (the tokenizer.json `added_tokens`). */
  readonly addedTokens: readonly string[];
}

const PAIR_KEY_BASE = 1 << 20;
const MAX_CACHED_CHUNKS = 1 << 20;

export class BpeEncoder {
  readonly vocabSize: number;
  private readonly idOf = new Map<string, number>();
  private readonly mergeRank = new Map<number, number>();
  private readonly mergeResult = new Map<number, number>();
  private readonly joinable = new Set<string>();
  private readonly byteIds = new Int32Array(256);
  private readonly addedPattern: RegExp | null;
  private readonly cache = new Map<string, readonly number[]>();
  private readonly utf8 = new TextEncoder();

  constructor(vocabulary: BpeVocabulary) {
    const { tokens, merges, addedTokens } = vocabulary;
    if (tokens.length > PAIR_KEY_BASE) throw new UnsupportedError(`BPE vocabulary of ${tokens.length} tokens is larger than ${PAIR_KEY_BASE}`);
    this.vocabSize = tokens.length;
    tokens.forEach((t, i) => this.idOf.set(t, i));
    for (let b = 0; b < 256; b++) {
      const id = this.idOf.get(byteToken(b));
      if (id === undefined) throw new UnsupportedError(`byte-fallback vocabulary lacks ${byteToken(b)}`);
      this.byteIds[b] = id;
    }
    const added = new Set(addedTokens);
    merges.forEach(([left, right], rank) => {
      const a = this.idOf.get(left), b = this.idOf.get(right), c = this.idOf.get(left + right);
      if (a === undefined || b === undefined || c === undefined) {
        throw new UnsupportedError(`merge ${JSON.stringify([left, right])} names a token that is not in the vocabulary`);
      }
      // Later duplicates win, as in @huggingface/tokenizers (its rank map is built by overwriting).
      this.mergeRank.set(a * PAIR_KEY_BASE + b, rank);
      this.mergeResult.set(a * PAIR_KEY_BASE + b, c);
    });
    for (const token of tokens) {
      if (added.has(token)) continue;
      const chars = Array.from(token);
      for (let i = 0; i + 1 < chars.length; i++) this.joinable.add(chars[i]! + chars[i + 1]!);
    }
    const sorted = [...added].sort((x, y) => y.length - x.length);
    this.addedPattern = sorted.length > 0 ? new RegExp(sorted.map(escapeRegExp).join("|"), "g") : null;
  }

  /** Builds an encoder from a parsed tokenizer.json; only the Gemma-style BPE pipeline is accepted. */
  static fromTokenizerJson(json: unknown, path = "tokenizer.json"): BpeEncoder {
    const root = asRecord(json, path, "top level");
    const model = asRecord(root["model"], path, "model");
    if (model["type"] !== "BPE" || model["byte_fallback"] !== true) throw new UnsupportedError(`${path}: only byte-fallback BPE models are supported by BpeEncoder`);
    const normalizer = asRecord(root["normalizer"], path, "normalizer");
    const pattern = asRecord(normalizer["pattern"], path, "normalizer.pattern");
    if (normalizer["type"] !== "Replace" || pattern["String"] !== " " || normalizer["content"] !== METASPACE) {
      throw new UnsupportedError(`${path}: BpeEncoder supports only the Gemma normaliser (Replace " " with "▁")`);
    }
    const vocab = asRecord(model["vocab"], path, "model.vocab");
    const tokens: string[] = [];
    for (const [text, id] of Object.entries(vocab)) {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0) throw new BadFileError(path, `model.vocab[${JSON.stringify(text)}] is not a token id`);
      tokens[id] = text;
    }
    for (let i = 0; i < tokens.length; i++) if (tokens[i] === undefined) throw new BadFileError(path, `model.vocab has no token with id ${i}`);
    const rawMerges = model["merges"];
    if (!Array.isArray(rawMerges)) throw new BadFileError(path, "model.merges is not a list");
    const merges = rawMerges.map((m: unknown, i): [string, string] => {
      if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") return [m[0], m[1]];
      if (typeof m === "string" && m.includes(" ")) { const at = m.indexOf(" "); return [m.slice(0, at), m.slice(at + 1)]; }
      throw new BadFileError(path, `model.merges[${i}] is neither [left, right] nor "left right"`);
    });
    const rawAdded = root["added_tokens"];
    const addedTokens = Array.isArray(rawAdded) ? rawAdded.map((t: unknown, i) => {
      const content = asRecord(t, path, `added_tokens[${i}]`)["content"];
      if (typeof content !== "string") throw new BadFileError(path, `added_tokens[${i}].content is not a string`);
      return content;
    }) : [];
    return new BpeEncoder({ tokens, merges, addedTokens });
  }

  /** Token ids of `text`, without any bos/eos (the Gemma 4 post-processor adds none). */
  encode(text: string): number[] {
    const out: number[] = [];
    this.encodeInto(text, out);
    return out;
  }

  /** Appends the token ids of `text` to `out`. */
  encodeInto(text: string, out: number[]): void {
    if (!this.addedPattern) return this.encodeSegment(text, out);
    let last = 0;
    for (const m of text.matchAll(this.addedPattern)) {
      this.encodeSegment(text.slice(last, m.index), out);
      out.push(this.idOf.get(m[0])!);
      last = m.index + m[0].length;
    }
    this.encodeSegment(text.slice(last), out);
  }

  /** Id of a token text, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.idOf.get(token);
  }

  private encodeSegment(segment: string, out: number[]): void {
    if (segment.length === 0) return;
    const chars = Array.from(segment.replaceAll(" ", METASPACE));
    let start = 0;
    for (let i = 1; i <= chars.length; i++) {
      if (i < chars.length && this.joinable.has(chars[i - 1]! + chars[i]!)) continue;
      const chunk = chars.slice(start, i);
      const key = chunk.join("");
      let ids = this.cache.get(key);
      if (!ids) {
        ids = this.encodeChunk(chunk);
        if (this.cache.size >= MAX_CACHED_CHUNKS) this.cache.clear();
        this.cache.set(key, ids);
      }
      for (const id of ids) out.push(id);
      start = i;
    }
  }

  /** Lowest-rank-first, leftmost-first merging over one chunk, then byte fallback. */
  private encodeChunk(chars: readonly string[]): number[] {
    const n = chars.length;
    const ids = Int32Array.from(chars, (ch) => this.idOf.get(ch) ?? -1);
    const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const heap = new MinHeap();
    // Priority rank·n + position orders by rank, then by the merged symbol's first character, exactly as
    // the reference's rank + position/n.
    const consider = (left: number): void => {
      const right = next[left]!;
      if (left < 0 || right < 0) return;
      const rank = this.rankOf(ids[left]!, ids[right]!);
      if (rank !== undefined) heap.push(rank * n + left);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    while (heap.size > 0) {
      const priority = heap.pop();
      const left = priority % n, rank = (priority - left) / n;
      const right = next[left]!;
      if (prev[left] === -2 || right < 0 || this.rankOf(ids[left]!, ids[right]!) !== rank) continue;
      ids[left] = this.mergeResult.get(ids[left]! * PAIR_KEY_BASE + ids[right]!)!;
      prev[right] = -2; // removed
      next[left] = next[right]!;
      if (next[left]! >= 0) prev[next[left]!] = left;
      consider(left);
      if (prev[left]! >= 0) consider(prev[left]!);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) {
      const id = ids[i]!;
      if (id >= 0) out.push(id);
      else for (const byte of this.utf8.encode(chars[i]!)) out.push(this.byteIds[byte]!);
    }
    return out;
  }

  private rankOf(a: number, b: number): number | undefined {
    if (a < 0 || b < 0) return undefined;
    return this.mergeRank.get(a * PAIR_KEY_BASE + b);
  }
}

/** Binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];
  get size(): number { return this.items.length; }
  push(value: number): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= value) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = value;
  }
  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        if (l >= a.length) break;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function asRecord(value: unknown, path: string, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BadFileError(path, `${what} is not an object`);
  return value as Record<string, unknown>;
}
