/**
 * Gemma 4 tool calls in model output: `<|tool_call>call:NAME{ARGS}<tool_call|>`, ARGS in the Gemma 4 value
 * syntax (gemma4-value-parser.ts). The call is scanned with the value grammar rather than a regex, so a
 * string argument may contain `}<tool_call|>` or any other text. A call that does not parse becomes an
 * InvalidToolCall carrying the raw text and the reason; the parser never throws and never drops a call.
 */
import type { JsonObject } from "./chat-types.js";
import { parseGemma4Object } from "./gemma4-value-parser.js";
import { GEMMA4_MARKERS } from "./special-tokens.js";

export interface ToolCall {
  readonly type: "tool_call";
  readonly name: string;
  readonly arguments: JsonObject;
  /** The call as the model wrote it, markers included. */
  readonly raw: string;
}

export type InvalidToolCallCode = "missing_call_prefix" | "bad_name" | "bad_arguments" | "unterminated";

export interface InvalidToolCall {
  readonly type: "invalid_tool_call";
  readonly code: InvalidToolCallCode;
  /** The function name when it could be read. */
  readonly name: string | null;
  /** One line saying what is wrong and where (offset within `raw`). */
  readonly error: string;
  readonly raw: string;
}

export type ToolCallParse =
  | { readonly kind: "call"; readonly call: ToolCall; readonly end: number }
  | { readonly kind: "invalid"; readonly call: InvalidToolCall; readonly end: number }
  /** More text is needed to decide (only when not `final`). */
  | { readonly kind: "incomplete" };

const START = GEMMA4_MARKERS.toolCallStart;
const END = GEMMA4_MARKERS.toolCallEnd;
const PREFIX = "call:";
const NAME_STOP = /[\s{}[\],<>"]/;

/** Where a broken call ends: at the first `<tool_call|>` from `from` on, or before the next `<|tool_call>`. */
function recoveryEnd(text: string, from: number, final: boolean): number | null {
  const close = text.indexOf(END, from);
  const next = text.indexOf(START, from);
  if (close >= 0 && (next < 0 || close < next)) return close + END.length;
  if (next >= 0) return next;
  return final ? text.length : null;
}

/**
 * Parses the call whose `<|tool_call>` starts at `start`. With `final` false (streaming), a call that may
 * still be completed by more text is "incomplete".
 */
export function parseToolCallAt(text: string, start: number, final = true): ToolCallParse {
  let name: string | null = null;
  const invalid = (code: InvalidToolCallCode, at: number, why: string): ToolCallParse => {
    const end = recoveryEnd(text, Math.max(at, start + START.length), final);
    if (end === null) return { kind: "incomplete" };
    const raw = text.slice(start, end);
    return { kind: "invalid", end, call: { type: "invalid_tool_call", code, name, error: `${why} (at offset ${at - start})`, raw } };
  };
  const waitOr = (code: InvalidToolCallCode, at: number, why: string): ToolCallParse => (final ? invalid(code, at, why) : { kind: "incomplete" });

  let i = start + START.length;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  const rest = text.length - i;
  if (rest < PREFIX.length && PREFIX.startsWith(text.slice(i))) return waitOr("missing_call_prefix", i, "text ends before call:");
  if (!text.startsWith(PREFIX, i)) return invalid("missing_call_prefix", i, `expected "call:NAME{…}" after <|tool_call>`);
  i += PREFIX.length;
  const nameStart = i;
  while (i < text.length && !NAME_STOP.test(text[i]!)) i++;
  const rawName = text.slice(nameStart, i);
  let j = i;
  while (j < text.length && /\s/.test(text[j]!)) j++;
  if (j >= text.length) return waitOr("bad_name", nameStart, "text ends inside the call's name");
  if (rawName === "" || text[j] !== "{") return invalid("bad_name", nameStart, rawName === "" ? "the call has no function name" : `expected "{" after call:${rawName}`);
  name = rawName;
  const args = parseGemma4Object(text, j, { final });
  if (!args.ok) return args.eof ? waitOr("unterminated", args.offset, args.error) : invalid("bad_arguments", args.offset, args.error);
  let k = args.end;
  while (k < text.length && /\s/.test(text[k]!)) k++;
  const remaining = text.length - k;
  if (remaining < END.length && END.startsWith(text.slice(k))) return waitOr("unterminated", k, "the call is not closed with <tool_call|>");
  if (!text.startsWith(END, k)) return invalid("unterminated", k, `expected <tool_call|> after the arguments, found ${JSON.stringify(text.slice(k, k + 12))}`);
  const end = k + END.length;
  return { kind: "call", end, call: { type: "tool_call", name, arguments: args.value as JsonObject, raw: text.slice(start, end) } };
}

/** Every call in `text`, in order (valid and invalid), and the text outside them. */
export function parseToolCalls(text: string): { readonly calls: readonly (ToolCall | InvalidToolCall)[]; readonly content: string } {
  const calls: (ToolCall | InvalidToolCall)[] = [];
  let content = "";
  let i = 0;
  for (;;) {
    const start = text.indexOf(START, i);
    if (start < 0) return { calls, content: content + text.slice(i) };
    content += text.slice(i, start);
    const parsed = parseToolCallAt(text, start, true);
    if (parsed.kind === "incomplete") throw new Error("unreachable: final parse is never incomplete");
    calls.push(parsed.call);
    i = parsed.end;
  }
}
