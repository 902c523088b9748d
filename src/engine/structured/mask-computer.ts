/**
 * Computes token masks for matcher states by walking the token trie, pruning each subtree whose prefix the
 * matcher rejects. Most of the vocabulary is allowed only inside free strings, so the walk is split:
 *
 * - Per (rule, state), cached forever: the "internal" walk follows only the rule's own byte transitions
 *   (no calls, no returns). It yields the tokens that stay inside the rule, and the trie nodes where a
 *   token could leave it (a call or the rule's end: for a string, the closing quote). This depends on
 *   the rule alone, so the walk over the whole vocabulary inside a string body is done once per
 *   tokenizer (the string rule is shared by every grammar) and then reused at every depth and position.
 * - Per matcher state: the union over its frames of the internal tokens, plus a full pushdown walk from
 *   each boundary node (small subtrees: tokens that contain a quote, a comma, ...). The result is cached
 *   per state (LRU), which makes consecutive tokens inside one string nearly free.
 */
import type { GrammarRule } from "./grammar-rule.js";
import type { MatcherState, PushdownMatcher } from "./pushdown-matcher.js";
import { TokenMask } from "./token-mask.js";
import type { TokenTrie } from "./token-trie.js";

interface InternalWalk {
  /** Tokens consumed entirely inside the rule: a bitset when many, else an id list. */
  readonly bits: Uint32Array | null;
  readonly ids: Int32Array | null;
  /** Trie nodes (after the bytes that reach `state`) where the rule may call or end. */
  readonly boundaries: readonly { readonly state: number; readonly nodes: Int32Array }[];
}

const MASK_CACHE_ENTRIES = 256;
/** Internal walks of builtin rules, shared by every grammar over the same trie. */
const sharedWalks = new WeakMap<TokenTrie, Map<string, InternalWalk>>();

export class MaskComputer {
  private readonly masks = new Map<MatcherState, TokenMask>();
  private readonly finishMasks = new Map<MatcherState, TokenMask>();
  private readonly walks = new Map<number, InternalWalk>();

  constructor(
    readonly matcher: PushdownMatcher,
    readonly trie: TokenTrie,
  ) {}

  /** Does the per-tokenizer work for the grammar's builtin rules now (the string body walk: ~0.1 s). */
  prepareBuiltins(): void {
    this.matcher.grammar.rules.forEach((rule, r) => {
      if (rule.builtin) for (let s = 0; s < rule.numStates; s++) this.internalWalk(r, s);
    });
  }

  /** Tokens that keep the output a valid prefix (end-of-sequence when complete). */
  mask(state: MatcherState): TokenMask {
    return cached(this.masks, state, () => this.compute(state));
  }

  /** Tokens that follow a shortest completion exactly (each byte one closer to the end). */
  finishMask(state: MatcherState): TokenMask {
    return cached(this.finishMasks, state, () => {
      const bits = new Uint32Array(this.trie.maskWords);
      if (state.distance === 0) this.setEos(bits);
      else this.finishWalk(0, state, bits);
      return TokenMask.fromBits(bits, this.trie.vocabSize);
    });
  }

  private compute(state: MatcherState): TokenMask {
    const bits = new Uint32Array(this.trie.maskWords);
    const merged = new Set<InternalWalk>();
    for (const frame of state.frames) {
      const walk = this.internalWalk(frame.rule, frame.state);
      // Frames in the same rule state (anyOf branches inside one string, say) share their internal tokens.
      if (!merged.has(walk)) {
        merged.add(walk);
        if (walk.bits) for (let w = 0; w < bits.length; w++) bits[w] = bits[w] | walk.bits[w];
        if (walk.ids) for (const id of walk.ids) bits[id >>> 5] = bits[id >>> 5] | (1 << (id & 31));
      }
      for (const boundary of walk.boundaries) {
        const from = this.matcher.single(this.matcher.frame(frame.rule, boundary.state, frame.parent));
        for (const node of boundary.nodes) this.walk(node, from, bits);
      }
    }
    if (state.distance === 0) this.setEos(bits);
    return TokenMask.fromBits(bits, this.trie.vocabSize);
  }

  private setEos(bits: Uint32Array): void {
    for (const id of this.trie.eosIds) bits[id >>> 5] = bits[id >>> 5] | (1 << (id & 31));
  }

  /** Full pushdown walk below `node`. */
  private walk(node: number, state: MatcherState, bits: Uint32Array): void {
    const { edgeStart, edgeByte, edgeTarget, tokenStart, tokenIds } = this.trie;
    const end = edgeStart[node + 1];
    for (let e = edgeStart[node]; e < end; e++) {
      const b = edgeByte[e];
      let next = state.transitions[b];
      if (next === undefined) next = this.matcher.step(state, b);
      if (next === null) continue;
      const child = edgeTarget[e];
      const tokensEnd = tokenStart[child + 1];
      for (let k = tokenStart[child]; k < tokensEnd; k++) {
        const id = tokenIds[k];
        bits[id >>> 5] = bits[id >>> 5] | (1 << (id & 31));
      }
      if (edgeStart[child + 1] > edgeStart[child]) this.walk(child, next, bits);
    }
  }

  private finishWalk(node: number, state: MatcherState, bits: Uint32Array): void {
    const { edgeStart, edgeByte, edgeTarget, tokenStart, tokenIds } = this.trie;
    const want = state.distance - 1;
    for (let e = edgeStart[node]; e < edgeStart[node + 1]; e++) {
      const next = this.matcher.step(state, edgeByte[e]);
      if (next === null || next.distance !== want) continue;
      const child = edgeTarget[e];
      for (let k = tokenStart[child]; k < tokenStart[child + 1]; k++) {
        const id = tokenIds[k];
        bits[id >>> 5] = bits[id >>> 5] | (1 << (id & 31));
      }
      if (want > 0) this.finishWalk(child, next, bits);
    }
  }

  private internalWalk(ruleIndex: number, state: number): InternalWalk {
    const rule = this.matcher.grammar.rules[ruleIndex];
    if (rule.builtin) {
      let shared = sharedWalks.get(this.trie);
      if (!shared) sharedWalks.set(this.trie, (shared = new Map()));
      const key = `${rule.builtin}:${state}`;
      let walk = shared.get(key);
      if (!walk) shared.set(key, (walk = internalWalk(this.trie, rule, state)));
      return walk;
    }
    const key = ruleIndex * 0x1000000 + state;
    let walk = this.walks.get(key);
    if (!walk) this.walks.set(key, (walk = internalWalk(this.trie, rule, state)));
    return walk;
  }
}

function cached(map: Map<MatcherState, TokenMask>, state: MatcherState, make: () => TokenMask): TokenMask {
  let mask = map.get(state);
  if (mask) {
    map.delete(state);
    map.set(state, mask);
    return mask;
  }
  mask = make();
  map.set(state, mask);
  if (map.size > MASK_CACHE_ENTRIES) map.delete(map.keys().next().value as MatcherState);
  return mask;
}

/** Walks the trie following only `rule`'s byte transitions from `start`. */
function internalWalk(trie: TokenTrie, rule: GrammarRule, start: number): InternalWalk {
  const { edgeStart, edgeByte, edgeTarget, tokenStart, tokenIds } = trie;
  const bits = new Uint32Array(trie.maskWords);
  const boundaries = new Map<number, number[]>();
  const addBoundary = (state: number, node: number): void => {
    const list = boundaries.get(state);
    if (list) list.push(node);
    else boundaries.set(state, [node]);
  };
  if (rule.isBoundary(start)) addBoundary(start, 0);
  const next = rule.next;
  const visit = (node: number, state: number): void => {
    const row = state * 256;
    const end = edgeStart[node + 1];
    for (let e = edgeStart[node]; e < end; e++) {
      const t = next[row + edgeByte[e]];
      if (t < 0) continue;
      const child = edgeTarget[e];
      const tokensEnd = tokenStart[child + 1];
      for (let k = tokenStart[child]; k < tokensEnd; k++) {
        const id = tokenIds[k];
        bits[id >>> 5] = bits[id >>> 5] | (1 << (id & 31));
      }
      if (rule.isBoundary(t)) addBoundary(t, child);
      if (edgeStart[child + 1] > edgeStart[child]) visit(child, t);
    }
  };
  visit(0, start);
  const asList = [...boundaries].map(([state, nodes]) => ({ state, nodes: Int32Array.from(nodes) }));
  // Few tokens: keep the id list (TokenMask decides what "few" is) and let the bitset go.
  const ids = TokenMask.fromBits(bits, trie.vocabSize).ids;
  return ids ? { bits: null, ids, boundaries: asList } : { bits, ids: null, boundaries: asList };
}
