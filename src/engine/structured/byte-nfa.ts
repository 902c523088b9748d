/**
 * A small nondeterministic automaton builder over bytes (with epsilon moves and rule calls), turned into
 * one deterministic GrammarRule by subset construction. Building pieces as NFAs keeps the JSON fragments
 * (whitespace, numbers, enums, property lists) simple to write; determinizing keeps the runtime cheap.
 */
import { BadRequestError } from "../../errors.js";
import { GrammarRule, type BuiltinRuleKey, type RuleCall } from "./grammar-rule.js";

interface ByteEdge {
  readonly lo: number;
  readonly hi: number;
  readonly to: number;
}

/** Above this many automaton states a rule is too large to build (a schema with thousands of options). */
const MAX_RULE_STATES = 200_000;

export class ByteNfa {
  private readonly byteEdges: ByteEdge[][] = [];
  private readonly epsilons: number[][] = [];
  private readonly callEdges: RuleCall[][] = [];

  newState(): number {
    this.byteEdges.push([]);
    this.epsilons.push([]);
    this.callEdges.push([]);
    return this.byteEdges.length - 1;
  }

  get numStates(): number {
    return this.byteEdges.length;
  }

  byteRange(from: number, lo: number, hi: number, to: number): void {
    this.byteEdges[from]?.push({ lo, hi, to });
  }

  byte(from: number, b: number, to: number): void {
    this.byteRange(from, b, b, to);
  }

  /** A chain of states spelling `bytes` from `from`; returns the state after the last byte. */
  literal(from: number, bytes: Uint8Array): number {
    let at = from;
    for (const b of bytes) {
      const next = this.newState();
      this.byte(at, b, next);
      at = next;
    }
    return at;
  }

  epsilon(from: number, to: number): void {
    this.epsilons[from]?.push(to);
  }

  call(from: number, rule: number, to: number): void {
    this.callEdges[from]?.push({ rule, returnTo: to });
  }

  private closure(states: Iterable<number>): number[] {
    const seen = new Set<number>();
    const stack = [...states];
    while (stack.length > 0) {
      const s = stack.pop() as number;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const t of this.epsilons[s] ?? []) if (!seen.has(t)) stack.push(t);
    }
    return [...seen].sort((a, b) => a - b);
  }

  /** Determinizes the part reachable from `start`; NFA state `accept` marks where the rule may end. */
  toRule(start: number, accept: number, name: string, builtin: BuiltinRuleKey | null = null): GrammarRule {
    const ids = new Map<string, number>();
    const sets: number[][] = [];
    const intern = (set: number[]): number => {
      const key = set.join(",");
      let id = ids.get(key);
      if (id === undefined) {
        id = sets.length;
        ids.set(key, id);
        sets.push(set);
        if (sets.length > MAX_RULE_STATES) throw new BadRequestError(`response schema at ${name} is too large to compile (over ${MAX_RULE_STATES} automaton states)`, name);
      }
      return id;
    };
    intern(this.closure([start]));
    const nextRows: Int32Array[] = [];
    const calls: RuleCall[][] = [];
    const accepting: number[] = [];
    for (let d = 0; d < sets.length; d++) {
      const set = sets[d];
      const edges: ByteEdge[] = [];
      const byRule = new Map<number, number[]>();
      for (const s of set) {
        for (const edge of this.byteEdges[s] ?? []) edges.push(edge);
        for (const c of this.callEdges[s] ?? []) {
          const list = byRule.get(c.rule);
          if (list) list.push(c.returnTo);
          else byRule.set(c.rule, [c.returnTo]);
        }
      }
      // Split 0..255 where some edge starts or ends; within a piece every byte has the same targets.
      const cuts = new Set<number>([0, 256]);
      for (const edge of edges) {
        cuts.add(edge.lo);
        cuts.add(edge.hi + 1);
      }
      const bounds = [...cuts].sort((a, b) => a - b);
      const row = new Int32Array(256).fill(-1);
      for (let i = 0; i + 1 < bounds.length; i++) {
        const lo = bounds[i];
        const targets: number[] = [];
        for (const edge of edges) if (edge.lo <= lo && lo <= edge.hi) targets.push(edge.to);
        if (targets.length > 0) row.fill(intern(this.closure(targets)), lo, bounds[i + 1]);
      }
      nextRows.push(row);
      // Calls of one rule from several NFA states merge into one call returning to the union.
      calls.push([...byRule].map(([rule, rets]) => ({ rule, returnTo: intern(this.closure(rets)) })));
      accepting.push(set.includes(accept) ? 1 : 0);
    }
    const next = new Int32Array(sets.length * 256);
    nextRows.forEach((row, d) => next.set(row, d * 256));
    return new GrammarRule(name, sets.length, next, calls, Uint8Array.from(accepting), builtin);
  }
}
