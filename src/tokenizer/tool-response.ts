/**
 * Feeding tool results back to a Gemma 4 model in the same turn (gemma-architecture.md §4.14). The model
 * writes its calls and then `<|tool_response>`, a stop token; the host appends each result as
 * `response:NAME{…}<tool_response|>` (later ones with their own `<|tool_response>`) and lets the model go on
 * writing — no new `<|turn>model`, no `<turn|>`. The text is exactly what the chat template writes for the
 * same turn in history, plus the template's generation-prompt tail (`<|channel>thought\n<channel|>` when
 * thinking is off), so a live turn and its re-rendered history agree from the responses on.
 */
import type { ChatToolResponse, JsonValue } from "./chat-types.js";
import { formatToolResponseBlock } from "./gemma4-chat-format.js";
import { GEMMA4_MARKERS as M } from "./special-tokens.js";

export interface ToolResponseContinuationOptions {
  /**
   * Whether the sequence already ends with `<|tool_response>` (the model emitted the stop token and it is in
   * the KV cache). Default true; false when generation stopped elsewhere (e.g. on `<tool_call|>`).
   */
  readonly openerEmitted?: boolean;
  /** Thinking on: no empty thought channel after the responses (as the template's generation prompt). */
  readonly enableThinking?: boolean;
}

/** The text to append after the model's tool calls so that it continues with the results. */
export function toolResponseContinuation(responses: readonly ChatToolResponse[], options: ToolResponseContinuationOptions = {}): string {
  let text = responses.map((r) => formatToolResponseBlock(r.name, r.response)).join("");
  if ((options.openerEmitted ?? true) && text.startsWith(M.toolResponseStart)) text = text.slice(M.toolResponseStart.length);
  if (!options.enableThinking) text += M.channelStart + "thought\n" + M.channelEnd;
  return text;
}

/**
 * A tool's result as the value to format: OpenAI-style tools return text, which is used as parsed JSON when
 * it is JSON (so `{"temp": 21}` becomes `response:f{temp:21}`) and as a string otherwise.
 */
export function toolResultValue(result: string): JsonValue {
  try {
    return JSON.parse(result) as JsonValue;
  } catch {
    return result;
  }
}
