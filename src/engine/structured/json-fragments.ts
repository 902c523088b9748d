/**
 * The lexical pieces of JSON as NFA fragments: whitespace, numbers, literals, and the free-string rule.
 *
 * Choices that keep every generation finite and every output parseable:
 * - Whitespace (policy "pretty", the default) is allowed only between structural tokens, as nothing, one
 *   space, or one newline followed by at most MAX_INDENT (20) spaces/tabs (as llama.cpp's JSON grammars do). A
 *   model used to pretty-printed JSON can write it, but cannot spin on whitespace forever. "compact"
 *   allows none. Never before the document or after it: once complete, only end-of-sequence remains.
 * - Numbers have at most 16 integer digits, 16 fraction digits and 2 exponent digits, so every number
 *   parses to a finite double (`1e999` would be Infinity and fail validation).
 * - Strings are any JSON string: escapes (\uXXXX included) and well-formed UTF-8 (no overlongs, no
 *   surrogates, nothing above U+10FFFF), checked byte by byte so byte-fallback tokens may split a character.
 */
import { ByteNfa } from "./byte-nfa.js";
import type { GrammarRule } from "./grammar-rule.js";

export type WhitespacePolicy = "compact" | "pretty";

export const MAX_INDENT = 20;
const MAX_INTEGER_DIGITS = 16;
const MAX_FRACTION_DIGITS = 16;
const MAX_EXPONENT_DIGITS = 2;

const ch = (c: string): number => c.charCodeAt(0);

/** Optional whitespace from `from`; returns the state after it. */
export function whitespace(nfa: ByteNfa, from: number, policy: WhitespacePolicy): number {
  const end = nfa.newState();
  nfa.epsilon(from, end);
  if (policy === "compact") return end;
  nfa.byte(from, ch(" "), end);
  let indent = nfa.newState();
  nfa.byte(from, ch("\n"), indent);
  nfa.epsilon(indent, end);
  for (let i = 0; i < MAX_INDENT; i++) {
    const more = nfa.newState();
    nfa.byte(indent, ch(" "), more);
    nfa.byte(indent, ch("\t"), more);
    nfa.epsilon(more, end);
    indent = more;
  }
  return end;
}

/** One to `max` digits from `from`; returns the state after them. */
function digits(nfa: ByteNfa, from: number, max: number): number {
  const end = nfa.newState();
  let at = from;
  for (let i = 0; i < max; i++) {
    const next = nfa.newState();
    nfa.byteRange(at, ch("0"), ch("9"), next);
    nfa.epsilon(next, end);
    at = next;
  }
  return end;
}

/** A JSON number (or, with `integer`, one without fraction or exponent). */
export function number(nfa: ByteNfa, from: number, integer: boolean): number {
  const signed = nfa.newState();
  nfa.epsilon(from, signed);
  nfa.byte(from, ch("-"), signed);
  const whole = nfa.newState();
  nfa.byte(signed, ch("0"), whole);
  const lead = nfa.newState();
  nfa.byteRange(signed, ch("1"), ch("9"), lead);
  nfa.epsilon(lead, whole);
  nfa.epsilon(digits(nfa, lead, MAX_INTEGER_DIGITS - 1), whole);
  if (integer) return whole;
  const fraction = nfa.newState();
  nfa.epsilon(whole, fraction);
  const dot = nfa.newState();
  nfa.byte(whole, ch("."), dot);
  const firstFractionDigit = nfa.newState();
  nfa.byteRange(dot, ch("0"), ch("9"), firstFractionDigit);
  nfa.epsilon(firstFractionDigit, fraction);
  nfa.epsilon(digits(nfa, firstFractionDigit, MAX_FRACTION_DIGITS - 1), fraction);
  const end = nfa.newState();
  nfa.epsilon(fraction, end);
  const e = nfa.newState();
  nfa.byte(fraction, ch("e"), e);
  nfa.byte(fraction, ch("E"), e);
  const exponentSign = nfa.newState();
  nfa.epsilon(e, exponentSign);
  nfa.byte(e, ch("+"), exponentSign);
  nfa.byte(e, ch("-"), exponentSign);
  const firstExponentDigit = nfa.newState();
  nfa.byteRange(exponentSign, ch("0"), ch("9"), firstExponentDigit);
  nfa.epsilon(firstExponentDigit, end);
  nfa.epsilon(digits(nfa, firstExponentDigit, MAX_EXPONENT_DIGITS - 1), end);
  return end;
}

/** Any one of the given byte strings. */
export function literals(nfa: ByteNfa, from: number, values: readonly Uint8Array[]): number {
  const end = nfa.newState();
  for (const v of values) nfa.epsilon(nfa.literal(from, v), end);
  return end;
}

const encoder = new TextEncoder();
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** The free JSON string, quotes included: the same automaton in every grammar (see BuiltinRuleKey). */
export function buildStringRule(): GrammarRule {
  const nfa = new ByteNfa();
  const start = nfa.newState();
  const body = nfa.newState();
  const end = nfa.newState();
  nfa.byte(start, ch('"'), body);
  nfa.byte(body, ch('"'), end);
  // Printable ASCII except the quote and the backslash; control characters must be escaped.
  nfa.byteRange(body, 0x20, 0x21, body);
  nfa.byteRange(body, 0x23, 0x5b, body);
  nfa.byteRange(body, 0x5d, 0x7f, body);
  const escape = nfa.newState();
  nfa.byte(body, ch("\\"), escape);
  for (const c of '"\\/bfnrt') nfa.byte(escape, ch(c), body);
  let hex = nfa.newState();
  nfa.byte(escape, ch("u"), hex);
  for (let i = 0; i < 4; i++) {
    const next = i === 3 ? body : nfa.newState();
    nfa.byteRange(hex, ch("0"), ch("9"), next);
    nfa.byteRange(hex, ch("a"), ch("f"), next);
    nfa.byteRange(hex, ch("A"), ch("F"), next);
    hex = next;
  }
  // Well-formed UTF-8 (Unicode 15, table 3-7): the lead byte fixes how many continuation bytes follow
  // and, for E0/ED/F0/F4, the range of the first one.
  const cont1 = nfa.newState();
  const cont2 = nfa.newState();
  const cont3 = nfa.newState();
  nfa.byteRange(cont1, 0x80, 0xbf, body);
  nfa.byteRange(cont2, 0x80, 0xbf, cont1);
  nfa.byteRange(cont3, 0x80, 0xbf, cont2);
  nfa.byteRange(body, 0xc2, 0xdf, cont1);
  const afterE0 = nfa.newState();
  nfa.byte(body, 0xe0, afterE0);
  nfa.byteRange(afterE0, 0xa0, 0xbf, cont1);
  nfa.byteRange(body, 0xe1, 0xec, cont2);
  const afterED = nfa.newState();
  nfa.byte(body, 0xed, afterED);
  nfa.byteRange(afterED, 0x80, 0x9f, cont1);
  nfa.byteRange(body, 0xee, 0xef, cont2);
  const afterF0 = nfa.newState();
  nfa.byte(body, 0xf0, afterF0);
  nfa.byteRange(afterF0, 0x90, 0xbf, cont2);
  nfa.byteRange(body, 0xf1, 0xf3, cont3);
  const afterF4 = nfa.newState();
  nfa.byte(body, 0xf4, afterF4);
  nfa.byteRange(afterF4, 0x80, 0x8f, cont2);
  return nfa.toRule(start, end, "string", "json-string");
}
