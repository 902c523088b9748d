/**
 * Splits Gemma 4 model output into what a front end shows: the answer (`content`), the thinking
 * (`<|channel>thought\n…<channel|>` → `reasoning`), and tool calls (`<|tool_call>…<tool_call|>`). It works on
 * text as it streams in: plain text is released as soon as it cannot be the start of a marker, thinking
 * likewise, and a call once it is complete. `parseModelOutput` is the same parser fed all at once, so the
 * streamed and the one-shot results cannot differ.
 *
 * Feed it text decoded WITH special tokens (the markers are control tokens). Also removed from the answer:
 * stop markers (`<turn|>`, `<eos>`, `<end_of_turn>`) and tool responses (`<|tool_response>…<tool_response|>`,
 * or a trailing bare `<|tool_response>`, which the model emits to hand over to the host).
 */
import { GEMMA4_MARKERS } from "./special-tokens.js";
import { parseToolCallAt, type InvalidToolCall, type ToolCall } from "./tool-call-parser.js";

/** A "reasoning" event with empty text marks the opening of a thought channel. */
export type OutputEvent =
  | { readonly type: "content"; readonly text: string }
  | { readonly type: "reasoning"; readonly text: string }
  | { readonly type: "tool_call"; readonly call: ToolCall }
  | { readonly type: "invalid_tool_call"; readonly call: InvalidToolCall };

export interface ModelOutput {
  /** The answer: everything outside thinking, calls, tool responses and stop markers. */
  readonly content: string;
  /** The thinking text (several channels joined), or null when the output had no thought channel. */
  readonly reasoning: string | null;
  readonly toolCalls: readonly ToolCall[];
  /** Calls that did not parse, with the raw text and the reason. */
  readonly invalidToolCalls: readonly InvalidToolCall[];
}

export interface OutputParserOptions {
  /** The prompt left a thought channel open (`…<|turn>model\n<|channel>thought\n`): start inside it. */
  readonly startInReasoning?: boolean;
}

const M = GEMMA4_MARKERS;
const THOUGHT_PREFIX = "thought\n";
const STOP_MARKERS = [M.turnEnd, "<eos>", "<end_of_turn>"];
const TEXT_MARKERS = [M.channelStart, M.toolCallStart, M.toolResponseStart, ...STOP_MARKERS];
const CHANNEL_MARKERS = [M.channelEnd, ...STOP_MARKERS];

type State = "text" | "channel-start" | "channel" | "call" | "response";

/** The earliest occurrence of any marker at or after `from`. */
function findMarker(text: string, markers: readonly string[], from: number): { index: number; marker: string } | null {
  let best: { index: number; marker: string } | null = null;
  for (const marker of markers) {
    const index = text.indexOf(marker, from);
    if (index >= 0 && (best === null || index < best.index)) best = { index, marker };
  }
  return best;
}

/** Length of the longest suffix of text[from..] that is a proper prefix of a marker (held back). */
function partialMarkerLength(text: string, markers: readonly string[], from: number): number {
  const lt = text.lastIndexOf("<");
  if (lt < from) return 0;
  const tail = text.slice(lt);
  return markers.some((m) => m.length > tail.length && m.startsWith(tail)) ? tail.length : 0;
}

export class StreamingOutputParser {
  private buffer = "";
  private state: State;
  private ended = false;

  constructor(options: OutputParserOptions = {}) {
    this.state = options.startInReasoning ? "channel-start" : "text";
  }

  /** Adds text; returns the events it completes. */
  push(text: string): OutputEvent[] {
    if (this.ended) throw new Error("StreamingOutputParser: push after end");
    this.buffer += text;
    return this.drain(false);
  }

  /** Ends the output: releases held-back text; an unfinished call becomes an InvalidToolCall. */
  end(): OutputEvent[] {
    if (this.ended) return [];
    this.ended = true;
    return this.drain(true);
  }

  private drain(final: boolean): OutputEvent[] {
    const events: OutputEvent[] = [];
    const emit = (type: "content" | "reasoning", text: string): void => {
      if (text.length === 0) return;
      const last = events[events.length - 1];
      if (last && last.type === type) events[events.length - 1] = { type, text: last.text + text };
      else events.push({ type, text });
    };
    let i = 0;
    const b = this.buffer;
    for (;;) {
      if (this.state === "text" || this.state === "channel") {
        const markers = this.state === "text" ? TEXT_MARKERS : CHANNEL_MARKERS;
        const kind = this.state === "text" ? "content" : "reasoning";
        const found = findMarker(b, markers, i);
        if (found === null) {
          const hold = final ? 0 : partialMarkerLength(b, markers, i);
          emit(kind, b.slice(i, b.length - hold));
          i = b.length - hold;
          break;
        }
        emit(kind, b.slice(i, found.index));
        i = found.index + found.marker.length;
        if (found.marker === M.channelStart) this.state = "channel-start";
        else if (found.marker === M.channelEnd) this.state = "text";
        else if (found.marker === M.toolCallStart) {
          this.state = "call";
          i = found.index;
        } else if (found.marker === M.toolResponseStart) this.state = "response";
        // stop markers: dropped, state unchanged
      } else if (this.state === "channel-start") {
        const rest = b.slice(i);
        if (rest.startsWith(THOUGHT_PREFIX)) i += THOUGHT_PREFIX.length;
        else if (!final && THOUGHT_PREFIX.startsWith(rest)) break;
        this.state = "channel";
        events.push({ type: "reasoning", text: "" });
      } else if (this.state === "call") {
        // Only a `<tool_call|>` or a next `<|tool_call>` can complete a call, so skip the parse until one is here.
        if (!final && b.indexOf(M.toolCallEnd, i) < 0 && b.indexOf(M.toolCallStart, i + 1) < 0) break;
        const parsed = parseToolCallAt(b, i, final);
        if (parsed.kind === "incomplete") break;
        events.push(parsed.kind === "call" ? { type: "tool_call", call: parsed.call } : { type: "invalid_tool_call", call: parsed.call });
        i = parsed.end;
        this.state = "text";
      } else {
        const close = b.indexOf(M.toolResponseEnd, i);
        if (close < 0) {
          if (final) i = b.length;
          break;
        }
        i = close + M.toolResponseEnd.length;
        this.state = "text";
      }
    }
    this.buffer = b.slice(i);
    return events;
  }
}

/** The whole output at once (the streaming parser fed in one piece). */
export function parseModelOutput(text: string, options: OutputParserOptions = {}): ModelOutput {
  const parser = new StreamingOutputParser(options);
  return collectOutput([...parser.push(text), ...parser.end()]);
}

/** Folds events into a ModelOutput (what a non-streaming caller or a test wants). */
export function collectOutput(events: readonly OutputEvent[]): ModelOutput {
  let content = "";
  let reasoning: string | null = null;
  const toolCalls: ToolCall[] = [];
  const invalidToolCalls: InvalidToolCall[] = [];
  for (const e of events) {
    if (e.type === "content") content += e.text;
    else if (e.type === "reasoning") reasoning = (reasoning ?? "") + e.text;
    else if (e.type === "tool_call") toolCalls.push(e.call);
    else invalidToolCalls.push(e.call);
  }
  return { content, reasoning, toolCalls, invalidToolCalls };
}
