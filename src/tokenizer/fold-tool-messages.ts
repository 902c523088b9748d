/**
 * OpenAI-style conversations put each tool result in its own `{"role": "tool", "tool_call_id", "content"}`
 * message; the Gemma 4 chat templates read results from the calling assistant message's `tool_responses`
 * (the model sees them inside the same turn). This rewrites the first form into the second.
 */
import { BadRequestError } from "../errors.js";
import type { ChatMessage, ChatToolResponse } from "./chat-types.js";
import { toolResultValue } from "./tool-response.js";

function contentText(content: ChatMessage["content"]): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  return content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

export function foldToolMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  if (!messages.some((m) => m.role === "tool")) return [...messages];
  const out: ChatMessage[] = [];
  for (const [i, message] of messages.entries()) {
    if (message.role !== "tool") {
      out.push(message);
      continue;
    }
    const caller = out.at(-1);
    if (!caller || (caller.role !== "assistant" && caller.role !== "model") || !caller.tool_calls?.length) {
      throw new BadRequestError(`messages[${i}] is a tool result, but the message before it is not an assistant message with tool_calls`, "messages");
    }
    const call = message.tool_call_id !== undefined ? caller.tool_calls.find((c) => c.id === message.tool_call_id) : undefined;
    if (message.tool_call_id !== undefined && !call) {
      throw new BadRequestError(`messages[${i}].tool_call_id ${JSON.stringify(message.tool_call_id)} matches none of the preceding assistant's tool_calls`, "messages");
    }
    // Without an id, results answer the calls in order.
    const answered = caller.tool_responses?.length ?? 0;
    const name = call?.function.name ?? message.name ?? caller.tool_calls[answered]?.function.name;
    if (name === undefined) throw new BadRequestError(`messages[${i}]: cannot tell which tool call this result answers`, "messages");
    const response: ChatToolResponse = { name, response: toolResultValue(contentText(message.content)) };
    out[out.length - 1] = { ...caller, tool_responses: [...(caller.tool_responses ?? []), response] };
  }
  return out;
}
