/**
 * Computes token masks for matcher states by walking the token trie, pruning each subtree whose prefix the
 * matcher rejects. Most of the vocabulary is allowed only inside free strings, so the walk is split:
 *
 * - Per (rule, state), cached forever: the "internal" walk follows only the rule's own byte transitions
 *   (no calls, no returns). It yields the tokens that stay inside the rule, grouped by the rule state they
 *   end in, and the trie nodes where a token could leave the rule (a call or the rule's end: for a string,
 *   the closing quote). This depends on the rule alone, so the walk over the whole vocabulary inside a
 *   string body is done once per tokenizer (the string rule is shared by every grammar) and then reused at
 *   every depth and position.
 * - Per matcher state: the union over its frames of the internal tokens, plus a full pushdown walk from
 *   each boundary node (small subtrees: tokens that contain a quote, a comma, ...). The result is cached
 *   per state (LRU), which makes consecutive tokens inside one string nearly free.
 *
 * A token budget (at most B bytes may remain to complete the document after the token) filters the same
 * walk: internal groups by the distance of their end state, walked tokens by the distance where they end.
 */
import type { GrammarRule } from "./grammar-rule.js";
import type { MatcherState, PushdownMatcher } from "./pushdown-matcher.js";
import { SPARSE_LIMIT, TokenMask } from "./token-mask.js";
import type { TokenTrie } from "./token-trie.js";

/** Tokens that end in one rule state: a bitset when many, else an id list. */
interface TokenGroup {
  readonly state: number;
  readonly bits: Uint32Array | null;
  readonly ids: Int32Array | null;
}

interface InternalWalk {
  /** Tokens consumed entirely inside the rule, by the state they end in. */
  readonly groups: readonly TokenGroup[];
  /** Trie nodes (after the bytes that reach `state`) where the rule may call or end. */
  readonly boundaries: readonly { readonly state: number; readonly nodes: Int32Array }[];
}

/** What a walk writes into: the allowed bits, the budget they must meet, and the largest distance seen. */
interface MaskSink {
  readonly bits: Uint32Array;
  readonly budget: number;
  maxDistanceAfter: number;
}

const MASK_CACHE_ENTRIES = 256;
/** Internal walks of builtin rules, shared by every grammar over the same trie. */
const sharedWalks = new WeakMap<TokenTrie, Map<string, InternalWalk>>();

export class MaskComputer {
  private readonly masks = new Map<MatcherState, TokenMask>();
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

  /**
   * Tokens that keep the output a valid prefix (end-of-sequence when complete). With `maxDistanceAfter`,
   * only tokens after which the document can be completed in at most that many bytes.
   */
  mask(state: MatcherState, maxDistanceAfter = Infinity): TokenMask {
    let full = this.masks.get(state);
    if (full) {
      this.masks.delete(state);
      this.masks.set(state, full);
    } else {
      full = this.compute(state, Infinity);
      this.masks.set(state, full);
      if (this.masks.size > MASK_CACHE_ENTRIES) this.masks.delete(this.masks.keys().next().value as MatcherState);
    }
    // Budgeted masks differ from the full one only when some allowed token ends too far from the end.
    return full.maxDistanceAfter <= maxDistanceAfter ? full : this.compute(state, maxDistanceAfter);
  }

  private compute(state: MatcherState, budget: number): TokenMask {
    const sink: MaskSink = { bits: new Uint32Array(this.trie.maskWords), budget, maxDistanceAfter: -Infinity };
    const bits = sink.bits;
    const merged = new Set<TokenGroup>();
    for (const frame of state.frames) {
      const walk = this.internalWalk(frame.rule, frame.state);
      const minBytes = this.matcher.grammar.minBytes[frame.rule];
      const parentDistance = frame.parent ? frame.parent.distance : 0;
      for (const group of walk.groups) {
        const after = minBytes[group.state] + parentDistance;
        // Frames in one rule state (anyOf branches inside one string, say) share their groups.
        if (after > budget || merged.has(group)) continue;
        merged.add(group);
        if (after > sink.maxDistanceAfter) sink.maxDistanceAfter = after;
        if (group.bits) for (let w = 0; w < bits.length; w++) bits[w] = bits[w] | group.bits[w];
        if (group.ids) for (const id of group.ids) bits[id >>> 5] = bits[id >>> 5] | (1 << (id & 31));
      }
      for (const boundary of walk.boundaries) {
        const from = this.matcher.single(this.matcher.frame(frame.rule, boundary.state, frame.parent));
        for (const node of boundary.nodes) this.walk(node, from, sink);
      }
    }
    if (state.distance === 0) {
      for (const id of this.trie.eosIds) bits[id >>> 5] = bits[id >>> 5] | (1 << (id & 31));
    }
    return TokenMask.fromBits(bits, this.trie.vocabSize, sink.maxDistanceAfter);
  }

  /** Full pushdown walk below `node`. */
  private walk(node: number, state: MatcherState, sink: MaskSink): void {
    const { edgeStart, edgeByte, edgeTarget, tokenStart, tokenIds } = this.trie;
    const { bits, budget } = sink;
    const end = edgeStart[node + 1];
    for (let e = edgeStart[node]; e < end; e++) {
      const b = edgeByte[e];
      let next = state.transitions[b];
      if (next === undefined) next = this.matcher.step(state, b);
      if (next === null) continue;
      const child = edgeTarget[e];
      const tokensEnd = tokenStart[child + 1];
      if (tokensEnd > tokenStart[child] && next.distance <= budget) {
        if (next.distance > sink.maxDistanceAfter) sink.maxDistanceAfter = next.distance;
        for (let k = tokenStart[child]; k < tokensEnd; k++) {
          const id = tokenIds[k];
          bits[id >>> 5] = bits[id >>> 5] | (1 << (id & 31));
        }
      }
      if (edgeStart[child + 1] > edgeStart[child]) this.walk(child, next, sink);
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

/** Walks the trie following only `rule`'s byte transitions from `start`. */
function internalWalk(trie: TokenTrie, rule: GrammarRule, start: number): InternalWalk {
  const { edgeStart, edgeByte, edgeTarget, tokenStart, tokenIds } = trie;
  const endIds: number[] = [];
  const endStates: number[] = [];
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
        endIds.push(tokenIds[k]);
        endStates.push(t);
      }
      if (rule.isBoundary(t)) addBoundary(t, child);
      if (edgeStart[child + 1] > edgeStart[child]) visit(child, t);
    }
  };
  visit(0, start);
  const byState = new Map<number, number[]>();
  endIds.forEach((id, i) => {
    const list = byState.get(endStates[i]);
    if (list) list.push(id);
    else byState.set(endStates[i], [id]);
  });
  // Many tokens: a bitset; few: the id list.
  const groups = [...byState].map(([state, ids]): TokenGroup => {
    if (ids.length <= SPARSE_LIMIT) return { state, bits: null, ids: Int32Array.from(ids) };
    const bits = new Uint32Array(trie.maskWords);
    for (const id of ids) bits[id >>> 5] = bits[id >>> 5] | (1 << (id & 31));
    return { state, bits, ids: null };
  });
  return { groups, boundaries: [...boundaries].map(([state, nodes]) => ({ state, nodes: Int32Array.from(nodes) })) };
}
