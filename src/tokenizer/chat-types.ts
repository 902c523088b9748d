/**
 * The shapes chat templates read, as transformers and the OpenAI API write them (snake_case on purpose:
 * templates index `message['tool_calls']`, `tool['function']['parameters']`, …).
 */

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

export interface TextPart {
  readonly type: "text";
  readonly text: string;
}
/** Media placeholders: templates write `<|image|>` / `<start_of_image>` etc. for them. */
export interface MediaPart {
  readonly type: "image" | "audio" | "video";
  readonly [key: string]: unknown;
}
export type ContentPart = TextPart | MediaPart;

/** A call the assistant made, as it is stored in history. `arguments` may be an object or a raw string. */
export interface ChatToolCall {
  readonly id?: string;
  readonly type?: "function";
  readonly function: { readonly name: string; readonly arguments: JsonObject | string };
}

/** A tool's result attached to the assistant message that called it (Gemma 4 `tool_responses`). */
export interface ChatToolResponse {
  readonly name: string;
  readonly response: JsonValue;
}

export interface ChatMessage {
  /** "system" | "developer" | "user" | "assistant" (or "model") | "tool" | any other role the template knows. */
  readonly role: string;
  readonly content?: string | readonly ContentPart[] | null;
  readonly tool_calls?: readonly ChatToolCall[];
  readonly tool_responses?: readonly ChatToolResponse[];
  /** Thinking text kept for tool-calling turns (read by the Gemma 4 26B/31B template). */
  readonly reasoning_content?: string;
  readonly tool_call_id?: string;
  readonly name?: string;
}

/** An OpenAI-style tool definition. */
export interface ToolDefinition {
  readonly type: "function";
  readonly function: FunctionDefinition;
}

export interface FunctionDefinition {
  readonly name: string;
  readonly description?: string;
  /** A JSON Schema for the arguments (type "object", properties, required, …). */
  readonly parameters?: { readonly [key: string]: unknown };
  /** Gemma 4 extension: a schema of the result. */
  readonly response?: { readonly [key: string]: unknown };
}

export interface ChatFormatOptions {
  readonly tools?: readonly ToolDefinition[] | null;
  /** End with the opening of a model turn (default true). */
  readonly addGenerationPrompt?: boolean;
  /** Gemma 4 thinking; left out of the template's variables when undefined, as transformers does. */
  readonly enableThinking?: boolean;
  /** Which of several named templates to use (default: "tool_use" when tools are given and it exists, else "default"). */
  readonly templateName?: string;
  /** Further template variables (transformers passes extra keyword arguments through). */
  readonly variables?: Readonly<Record<string, unknown>>;
}
