/**
 * The byte-level pushdown matcher for a JsonGrammar. A configuration is a stack of frames (rule, state),
 * the top frame first, each pointing at the frame it returns to; a MatcherState is the set of live
 * configurations (more than one where anyOf branches are still undecided). Frames and states are
 * interned, so equal states are the same object: transitions are cached on the state (a lazily built DFA
 * over the reachable part of the pushdown automaton), and masks can be cached per state.
 */
import type { JsonGrammar } from "./json-grammar.js";

export class Frame {
  constructor(
    readonly rule: number,
    readonly state: number,
    /** The frame to continue in once this rule ends (its state is the call's return state). */
    readonly parent: Frame | null,
    readonly id: number,
    /** Fewest bytes that complete the whole document from here. */
    readonly distance: number,
  ) {}
}

export class MatcherState {
  /** Next state per byte: undefined = not computed yet, null = the byte is rejected. */
  readonly transitions: (MatcherState | null | undefined)[] = new Array<MatcherState | null | undefined>(256);
  /** Fewest bytes that complete the document (0: complete, end-of-sequence allowed). */
  readonly distance: number;

  constructor(readonly frames: readonly Frame[]) {
    let d = Infinity;
    for (const f of frames) if (f.distance < d) d = f.distance;
    this.distance = d;
  }
}

/** Interning tables are cleared past this size; states already handed out stay valid, just uncached. */
const MAX_INTERNED = 1 << 20;

export class PushdownMatcher {
  private readonly frames = new Map<string, Frame>();
  private readonly states = new Map<string, MatcherState>();
  private nextFrameId = 0;
  readonly initial: MatcherState;

  constructor(readonly grammar: JsonGrammar) {
    this.initial = this.single(this.frame(grammar.root, 0, null));
  }

  frame(rule: number, state: number, parent: Frame | null): Frame {
    const key = `${rule}:${state}:${parent ? parent.id : -1}`;
    let f = this.frames.get(key);
    if (!f) {
      if (this.frames.size >= MAX_INTERNED) this.frames.clear();
      const d = this.grammar.minBytes[rule][state];
      f = new Frame(rule, state, parent, this.nextFrameId++, d + (parent ? parent.distance : 0));
      this.frames.set(key, f);
    }
    return f;
  }

  single(frame: Frame): MatcherState {
    return this.intern([frame]);
  }

  private intern(frames: Frame[]): MatcherState {
    frames.sort((a, b) => a.id - b.id);
    let key = "";
    let last = -1;
    const unique: Frame[] = [];
    for (const f of frames) {
      if (f.id === last) continue;
      last = f.id;
      unique.push(f);
      key += `${f.id},`;
    }
    let s = this.states.get(key);
    if (!s) {
      if (this.states.size >= MAX_INTERNED) this.states.clear();
      s = new MatcherState(unique);
      this.states.set(key, s);
    }
    return s;
  }

  /** The state after `byte`, or null where no configuration accepts it. */
  step(state: MatcherState, byte: number): MatcherState | null {
    const cached = state.transitions[byte];
    if (cached !== undefined) return cached;
    const out: Frame[] = [];
    for (const f of state.frames) this.advance(f, byte, out);
    const next = out.length === 0 ? null : this.intern(out);
    state.transitions[byte] = next;
    return next;
  }

  /** Consumes `byte` from frame `f`: a transition inside its rule, or first a call, or first a return. */
  private advance(f: Frame, byte: number, out: Frame[]): void {
    const rule = this.grammar.rules[f.rule];
    if (!rule) return;
    const t = rule.next[f.state * 256 + byte];
    if (t >= 0) out.push(this.frame(f.rule, t, f.parent));
    for (const call of rule.calls[f.state] ?? []) {
      const callee = this.grammar.rules[call.rule];
      // Only push the callee when it can take this byte first (rules never start with a call or an end).
      if (callee && (callee.next[byte] >= 0 || (callee.calls[0]?.length ?? 0) > 0)) {
        this.advance(this.frame(call.rule, 0, this.frame(f.rule, call.returnTo, f.parent)), byte, out);
      }
    }
    if (rule.accepting[f.state] === 1 && f.parent) this.advance(f.parent, byte, out);
  }

  /** Runs `bytes` from `state`; null if rejected on the way. */
  walk(state: MatcherState, bytes: Uint8Array): MatcherState | null {
    let s: MatcherState | null = state;
    for (let i = 0; i < bytes.length && s; i++) s = this.step(s, bytes[i]);
    return s;
  }
}
