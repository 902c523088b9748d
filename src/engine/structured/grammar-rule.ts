/**
 * A grammar for constrained decoding is a set of rules, each a deterministic automaton over bytes whose
 * states may also call another rule (push it, continue at `returnTo` once it accepts). Objects, arrays and
 * strings are rules; numbers, literals and whitespace are inlined into the rule that uses them. The pushdown
 * matcher (parser-state.ts) runs sets of rule stacks, which covers anyOf and recursive $refs.
 */

export interface RuleCall {
  readonly rule: number;
  readonly returnTo: number;
}

/** Marks a rule whose automaton is the same in every grammar, so per-vocabulary work on it is shared. */
export type BuiltinRuleKey = "json-string";

export class GrammarRule {
  constructor(
    /** Where the rule came from (a schema path such as `#/properties/items`), for errors. */
    readonly name: string,
    readonly numStates: number,
    /** [numStates * 256]: next state on a byte, -1 where the byte is rejected. State 0 is the start. */
    readonly next: Int32Array,
    /** Per state: the rules it may call. */
    readonly calls: readonly (readonly RuleCall[])[],
    /** Per state: 1 where the rule may end (return to its caller). */
    readonly accepting: Uint8Array,
    readonly builtin: BuiltinRuleKey | null = null,
  ) {}

  /** Whether state `s` has anything besides byte transitions: calls or an end. */
  isBoundary(s: number): boolean {
    return this.accepting[s] === 1 || (this.calls[s]?.length ?? 0) > 0;
  }
}
