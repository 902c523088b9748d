/**
 * OpenAI chat messages → the chat layer's messages: content parts become text, and a call's `arguments`
 * (JSON text on the wire) become the object the Gemma templates format as `call:name{key:value,…}` (text
 * that is not a JSON object is passed on as it is). Tool results stay `{"role": "tool", "tool_call_id"}`
 * messages; the chat layer folds them into the calling turn (foldToolMessages).
 */
import type { ChatMessage, JsonObject } from "../tokenizer/chat-types.js";
import type { ChatBodyMessage } from "./chat-request-schema.js";

type MutableMessage = { -readonly [K in keyof ChatMessage]: ChatMessage[K] };

function textOf(content: ChatBodyMessage["content"]): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content.map((part) => part.text).join("");
}

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
  return messages.map((m) => {
    const message: MutableMessage = { role: m.role, content: textOf(m.content) };
    if (m.name !== undefined) message.name = m.name;
    if (m.tool_call_id !== undefined) message.tool_call_id = m.tool_call_id;
    if (m.role === "assistant") {
      if (m.reasoning_content) message.reasoning_content = m.reasoning_content;
      if (m.tool_calls && m.tool_calls.length > 0) {
        message.tool_calls = m.tool_calls.map((c) => ({ id: c.id, type: "function", function: { name: c.function.name, arguments: argumentsOf(c.function.arguments) } }));
      }
    }
    return message;
  });
}
