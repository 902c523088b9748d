/**
 * A byte trie over every token's byte string, built once per tokenizer. Constraints walk it with their
 * matcher state and prune a whole subtree as soon as its prefix is rejected, so a mask costs the number of
 * live prefixes, not the vocabulary size times the token length.
 *
 * Layout (compressed sparse rows; node 0 is the root):
 *   edgeStart[n]..edgeStart[n+1]   the edges leaving node n, in byte order
 *   edgeByte[e], edgeTarget[e]     the byte on edge e and the node it leads to
 *   tokenStart[n]..tokenStart[n+1] indexes into tokenIds: the tokens whose bytes end exactly at node n
 */
import { UnsupportedError } from "../../errors.js";
import type { TokenByteVocabulary } from "./token-byte-vocabulary.js";

export class TokenTrie {
  /** Number of 32-bit words in a bitset over the vocabulary. */
  readonly maskWords: number;

  private constructor(
    readonly vocabSize: number,
    readonly eosIds: readonly number[],
    readonly numNodes: number,
    readonly edgeStart: Int32Array, // [numNodes + 1]
    readonly edgeByte: Uint8Array, // [numNodes - 1]
    readonly edgeTarget: Int32Array, // [numNodes - 1]
    readonly tokenStart: Int32Array, // [numNodes + 1]
    readonly tokenIds: Int32Array, // [number of tokens with bytes]
    /** The bytes of each token (null: special or empty, never allowed inside a document). */
    readonly tokenBytes: readonly (Uint8Array | null)[],
  ) {
    this.maskWords = (vocabSize + 31) >>> 5;
  }

  static build(vocab: TokenByteVocabulary): TokenTrie {
    const tokenBytes: (Uint8Array | null)[] = new Array<Uint8Array | null>(vocab.size).fill(null);
    let totalBytes = 0;
    const ids: number[] = [];
    const eos = new Set(vocab.eosIds);
    for (let id = 0; id < vocab.size; id++) {
      const bytes = vocab.bytesOf(id);
      // An empty token would be allowed everywhere without making progress: never offer it. An
      // end-of-sequence token is only ever that, whatever text it has.
      if (bytes === null || bytes.length === 0 || eos.has(id)) continue;
      tokenBytes[id] = bytes;
      totalBytes += bytes.length;
      ids.push(id);
    }

    // Insert every token. Children are found through an open-addressing hash table keyed by
    // parent * 256 + byte (typed arrays: a Map with 600k entries is several times slower and larger).
    if (totalBytes >= 1 << 23) throw new UnsupportedError(`vocabulary too large for structured output (${totalBytes} bytes of tokens)`);
    const parentOf = new Int32Array(totalBytes + 1).fill(-1);
    const byteOf = new Uint8Array(totalBytes + 1);
    const children = new ChildTable(4 * ids.length);
    const endsAt = new Int32Array(vocab.size).fill(-1);
    let numNodes = 1;
    for (const id of ids) {
      let node = 0;
      for (const b of tokenBytes[id] as Uint8Array) {
        let next = children.get(node * 256 + b);
        if (next < 0) {
          next = numNodes++;
          children.set(node * 256 + b, next);
          parentOf[next] = node;
          byteOf[next] = b;
        }
        node = next;
      }
      endsAt[id] = node;
    }

    // Edges grouped by parent (counting sort), then each group sorted by byte.
    const edgeStart = new Int32Array(numNodes + 1);
    for (let n = 1; n < numNodes; n++) edgeStart[parentOf[n] + 1]++;
    for (let n = 0; n < numNodes; n++) edgeStart[n + 1] += edgeStart[n];
    const fill = edgeStart.slice(0, numNodes);
    const edgeTarget = new Int32Array(numNodes - 1);
    for (let n = 1; n < numNodes; n++) edgeTarget[fill[parentOf[n]]++] = n;
    const edgeByte = new Uint8Array(numNodes - 1);
    for (let n = 0; n < numNodes; n++) {
      const group = edgeTarget.subarray(edgeStart[n], edgeStart[n + 1]);
      if (group.length > 1) group.sort((a, b) => byteOf[a] - byteOf[b]);
      group.forEach((target, i) => (edgeByte[edgeStart[n] + i] = byteOf[target]));
    }

    const tokenStart = new Int32Array(numNodes + 1);
    for (const node of endsAt) if (node >= 0) tokenStart[node + 1]++;
    for (let n = 0; n < numNodes; n++) tokenStart[n + 1] += tokenStart[n];
    const tokenIds = new Int32Array(tokenStart[numNodes]);
    const at = tokenStart.slice(0, numNodes);
    endsAt.forEach((node, id) => {
      if (node >= 0) tokenIds[at[node]++] = id;
    });
    return new TokenTrie(vocab.size, [...vocab.eosIds], numNodes, edgeStart, edgeByte, edgeTarget, tokenStart, tokenIds, tokenBytes);
  }
}

/** Int32 → Int32 open-addressing hash table (Fibonacci hashing, linear probing, grows at half full). */
class ChildTable {
  private keys: Int32Array;
  private values: Int32Array;
  private shift: number;
  private count = 0;

  constructor(expected: number) {
    let bits = 10;
    while (1 << bits < 2 * expected) bits++;
    this.keys = new Int32Array(1 << bits).fill(-1);
    this.values = new Int32Array(1 << bits);
    this.shift = 32 - bits;
  }

  private slot(key: number): number {
    const mask = this.keys.length - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
    while (this.keys[slot] !== key && this.keys[slot] !== -1) slot = (slot + 1) & mask;
    return slot;
  }

  get(key: number): number {
    const slot = this.slot(key);
    return this.keys[slot] === key ? this.values[slot] : -1;
  }

  set(key: number, value: number): void {
    if (2 * (this.count + 1) > this.keys.length) this.grow();
    const slot = this.slot(key);
    if (this.keys[slot] !== key) this.count++;
    this.keys[slot] = key;
    this.values[slot] = value;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Int32Array(keys.length * 2).fill(-1);
    this.values = new Int32Array(keys.length * 2);
    this.shift--;
    this.count = 0;
    keys.forEach((key, i) => {
      if (key !== -1) this.set(key, values[i]);
    });
  }
}
