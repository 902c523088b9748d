/**
 * OpenAI chat messages → the chat layer's messages. The one real difference is tool results: OpenAI sends
 * each as its own `{"role": "tool", "tool_call_id", "content"}` message, while Gemma 4 keeps them on the
 * assistant message that made the calls (`tool_responses: [{name, response}]`, the model continuing the same
 * turn). Results are matched to calls by id, and JSON text becomes a JSON value (as toolResultValue does).
 */
import { BadRequestError } from "../errors.js";
import type { ChatMessage, ChatToolCall, ChatToolResponse, JsonObject } from "../tokenizer/chat-types.js";
import { toolResultValue } from "../tokenizer/tool-response.js";
import type { ChatBodyMessage } from "./chat-request-schema.js";

type MutableMessage = { -readonly [K in keyof ChatMessage]: ChatMessage[K] };

function textOf(content: ChatBodyMessage["content"]): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content.map((part) => part.text).join("");
}

/** Call arguments as the template wants them: an object when the JSON text is one, else the text. */
function argumentsOf(text: string): JsonObject | string {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as JsonObject;
  } catch {
    // Not JSON: the template writes the text as it is.
  }
  return text;
}

export function toChatMessages(messages: readonly ChatBodyMessage[]): ChatMessage[] {
  const out: MutableMessage[] = [];
  /** The assistant message whose calls the following tool messages answer. */
  let caller: { message: MutableMessage; calls: readonly ChatToolCall[]; responses: ChatToolResponse[] } | null = null;
  messages.forEach((m, i) => {
    if (m.role === "tool") {
      if (!caller) throw new BadRequestError(`messages[${i}]: a tool result must follow an assistant message with tool_calls`, `messages[${i}].role`);
      const call = m.tool_call_id !== undefined ? caller.calls.find((c) => c.id === m.tool_call_id)
        : caller.calls.length === 1 ? caller.calls[0] : undefined;
      if (!call) {
        throw new BadRequestError(m.tool_call_id === undefined
          ? `messages[${i}].tool_call_id is required when the assistant made several calls`
          : `messages[${i}].tool_call_id ${JSON.stringify(m.tool_call_id)} matches no call of the assistant message before it`, `messages[${i}].tool_call_id`);
      }
      caller.responses.push({ name: call.function.name, response: toolResultValue(textOf(m.content)) });
      caller.message.tool_responses = caller.responses;
      return;
    }
    caller = null;
    const message: MutableMessage = { role: m.role, content: textOf(m.content) };
    if (m.role === "assistant") {
      if (m.reasoning_content) message.reasoning_content = m.reasoning_content;
      if (m.tool_calls && m.tool_calls.length > 0) {
        const calls: ChatToolCall[] = m.tool_calls.map((c) => ({ id: c.id, type: "function", function: { name: c.function.name, arguments: argumentsOf(c.function.arguments) } }));
        message.tool_calls = calls;
        caller = { message, calls, responses: [] };
      }
    } else if (m.name !== undefined) {
      message.name = m.name;
    }
    out.push(message);
  });
  return out;
}
