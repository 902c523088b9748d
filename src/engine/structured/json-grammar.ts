/**
 * A compiled response format: rules plus, for every rule state, the fewest bytes that complete it. The
 * distances drive "force completion" (finish the document along a shortest path) and trimming: a state
 * from which the rule can never end is removed, so every prefix the matcher accepts can be completed.
 */
import { BadRequestError } from "../../errors.js";
import { GrammarRule } from "./grammar-rule.js";

export class JsonGrammar {
  readonly rules: readonly GrammarRule[];
  /** Per rule, per state: fewest bytes to reach the rule's end (Infinity where it never can). */
  readonly minBytes: readonly Float64Array[];

  constructor(
    rules: readonly GrammarRule[],
    readonly root: number,
    /** What the grammar was compiled from, for messages (`json_object`, `json_schema`). */
    readonly description: string,
  ) {
    const minBytes = shortestCompletions(rules);
    this.rules = rules.map((rule, r) => trim(rule, minBytes, r));
    this.minBytes = minBytes;
    const rootRule = this.rules[root];
    if (!rootRule || !Number.isFinite(minBytes[root]?.[0] ?? Infinity)) {
      throw new BadRequestError(`${description}: the schema has no finite instance (a required property recurses forever?)`, "schema");
    }
  }
}

/**
 * d(s) = 0 where the rule may end, else the least of 1 + d(next) over bytes and minLen(callee) + d(return)
 * over calls, with minLen(rule) = d(rule start). Per rule a worklist relaxation over reversed edges; rules
 * are repeated until no rule's minLen changes (recursive rules need a few rounds).
 */
function shortestCompletions(rules: readonly GrammarRule[]): Float64Array[] {
  const minLen = new Float64Array(rules.length).fill(Infinity);
  const reversed = rules.map(reverseEdges);
  const dist = rules.map((rule) => {
    const d = new Float64Array(rule.numStates).fill(Infinity);
    for (let s = 0; s < rule.numStates; s++) if (rule.accepting[s] === 1) d[s] = 0;
    return d;
  });
  for (let changed = true; changed; ) {
    changed = false;
    rules.forEach((rule, r) => {
      const d = dist[r];
      const preds = reversed[r];
      const queue: number[] = [];
      for (let s = 0; s < rule.numStates; s++) if (Number.isFinite(d[s])) queue.push(s);
      while (queue.length > 0) {
        const t = queue.pop() as number;
        for (const [s, callee] of preds[t] ?? []) {
          const via = d[t] + (callee < 0 ? 1 : minLen[callee]);
          if (via < d[s]) {
            d[s] = via;
            queue.push(s);
          }
        }
      }
      if (d[0] < minLen[r]) {
        minLen[r] = d[0];
        changed = true;
      }
    });
  }
  return dist;
}

/** Per state t: the states s that reach it, by a byte ([s, -1]) or by returning from a call ([s, callee]). */
function reverseEdges(rule: GrammarRule): [number, number][][] {
  const preds: [number, number][][] = Array.from({ length: rule.numStates }, () => []);
  const seen = new Int32Array(rule.numStates).fill(-1);
  for (let s = 0; s < rule.numStates; s++) {
    for (let b = 0; b < 256; b++) {
      const t = rule.next[s * 256 + b];
      if (t >= 0 && seen[t] !== s) {
        seen[t] = s;
        preds[t].push([s, -1]);
      }
    }
    for (const call of rule.calls[s] ?? []) preds[call.returnTo].push([s, call.rule]);
  }
  return preds;
}

/** Drops transitions and calls that lead where the rule can never end. */
function trim(rule: GrammarRule, dist: readonly Float64Array[], r: number): GrammarRule {
  const d = dist[r];
  const next = rule.next.slice();
  for (let i = 0; i < next.length; i++) {
    const t = next[i];
    if (t >= 0 && !Number.isFinite(d[t])) next[i] = -1;
  }
  const calls = rule.calls.map((list) =>
    list.filter((c) => Number.isFinite(dist[c.rule][0]) && Number.isFinite(d[c.returnTo])),
  );
  return new GrammarRule(rule.name, rule.numStates, next, calls, rule.accepting, rule.builtin);
}
