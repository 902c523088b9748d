/** The JSON schema of `POST /v1/chat/completions` bodies, and their type (OpenAI's field names). */
import { MAX_TOP_LOGPROBS, MODEL_PROPERTY, SAMPLING_PROPERTIES, type SamplingBody } from "./schema-fragments.js";

export const MAX_MESSAGES = 4096;
export const MAX_TOOLS = 128;

export interface ChatTextPart {
  readonly type: "text";
  readonly text: string;
}

export interface ChatBodyToolCall {
  readonly id: string;
  readonly type: "function";
  readonly function: { readonly name: string; readonly arguments: string };
}

export interface ChatBodyMessage {
  readonly role: "system" | "developer" | "user" | "assistant" | "tool";
  readonly content?: string | readonly ChatTextPart[] | null;
  readonly name?: string;
  readonly tool_calls?: readonly ChatBodyToolCall[] | null;
  readonly tool_call_id?: string;
  readonly reasoning_content?: string | null;
  readonly refusal?: string | null;
}

export interface ChatBodyTool {
  readonly type: "function";
  readonly function: {
    readonly name: string;
    readonly description?: string;
    readonly parameters?: Readonly<Record<string, unknown>>;
    readonly strict?: boolean | null;
  };
}

export type ChatBodyToolChoice = "none" | "auto" | "required" | { readonly type: "function"; readonly function: { readonly name: string } };

export type ChatBodyResponseFormat =
  | { readonly type: "text" }
  | { readonly type: "json_object" }
  | { readonly type: "json_schema"; readonly json_schema: { readonly name: string; readonly description?: string; readonly schema?: Readonly<Record<string, unknown>>; readonly strict?: boolean | null } };

export interface ChatBody extends SamplingBody {
  readonly messages: readonly ChatBodyMessage[];
  readonly tools?: readonly ChatBodyTool[] | null;
  readonly tool_choice?: ChatBodyToolChoice | null;
  readonly parallel_tool_calls?: boolean | null;
  readonly response_format?: ChatBodyResponseFormat | null;
  readonly max_tokens?: number | null;
  readonly max_completion_tokens?: number | null;
  readonly logprobs?: boolean | null;
  readonly top_logprobs?: number | null;
  readonly reasoning_effort?: "none" | "minimal" | "low" | "medium" | "high" | null;
  /** Extension (vLLM, llama.cpp): template switches; `enable_thinking` turns Gemma 4 thinking on or off. */
  readonly chat_template_kwargs?: { readonly enable_thinking?: boolean } | null;
}

const nullable = (schema: Record<string, unknown>): Record<string, unknown> => ({ anyOf: [schema, { type: "null" }] });
const FUNCTION_NAME = { type: "string", pattern: "^[A-Za-z0-9_.-]{1,64}$" } as const;

// `type` is checked before the rest, so that an image or audio part is told "type must be text" (this server
// takes text only), not that its "text" is missing.
const TEXT_PART = {
  type: "object",
  required: ["type"],
  properties: { type: { enum: ["text"] } },
  if: { properties: { type: { const: "text" } } },
  then: { additionalProperties: false, required: ["type", "text"], properties: { type: { const: "text" }, text: { type: "string" } } },
} as const;

const TOOL_CALL = {
  type: "object",
  additionalProperties: false,
  required: ["id", "type", "function"],
  properties: {
    id: { type: "string", minLength: 1, maxLength: 256 },
    type: { enum: ["function"] },
    function: {
      type: "object",
      additionalProperties: false,
      required: ["name", "arguments"],
      properties: { name: FUNCTION_NAME, arguments: { type: "string" } },
    },
  },
} as const;

const MESSAGE = {
  type: "object",
  additionalProperties: false,
  required: ["role"],
  properties: {
    role: { enum: ["system", "developer", "user", "assistant", "tool"] },
    content: nullable({ anyOf: [{ type: "string" }, { type: "array", items: TEXT_PART, maxItems: 256 }] }),
    name: { type: "string", maxLength: 256 },
    tool_calls: nullable({ type: "array", items: TOOL_CALL, maxItems: 64 }),
    tool_call_id: { type: "string", maxLength: 256 },
    reasoning_content: nullable({ type: "string" }),
    refusal: nullable({ type: "string" }),
  },
} as const;

const TOOL = {
  type: "object",
  additionalProperties: false,
  required: ["type", "function"],
  properties: {
    type: { enum: ["function"] },
    function: {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: FUNCTION_NAME,
        description: { type: "string", maxLength: 8192 },
        parameters: { type: "object" },
        strict: nullable({ type: "boolean" }),
      },
    },
  },
} as const;

const TOOL_CHOICE = nullable({
  anyOf: [
    { enum: ["none", "auto", "required"] },
    {
      type: "object",
      additionalProperties: false,
      required: ["type", "function"],
      properties: {
        type: { enum: ["function"] },
        function: { type: "object", additionalProperties: false, required: ["name"], properties: { name: FUNCTION_NAME } },
      },
    },
  ],
});

const RESPONSE_FORMAT = nullable({
  type: "object",
  required: ["type"],
  properties: {
    type: { enum: ["text", "json_object", "json_schema"] },
    json_schema: {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
        description: { type: "string", maxLength: 8192 },
        schema: { type: "object" },
        strict: nullable({ type: "boolean" }),
      },
    },
  },
  additionalProperties: false,
  if: { properties: { type: { const: "json_schema" } } },
  then: { required: ["type", "json_schema"] },
});

export const CHAT_REQUEST_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["model", "messages"],
  properties: {
    model: MODEL_PROPERTY,
    messages: { type: "array", items: MESSAGE, minItems: 1, maxItems: MAX_MESSAGES },
    tools: nullable({ type: "array", items: TOOL, maxItems: MAX_TOOLS }),
    tool_choice: TOOL_CHOICE,
    parallel_tool_calls: nullable({ type: "boolean" }),
    response_format: RESPONSE_FORMAT,
    max_tokens: nullable({ type: "integer", minimum: 1 }),
    max_completion_tokens: nullable({ type: "integer", minimum: 1 }),
    logprobs: nullable({ type: "boolean" }),
    top_logprobs: nullable({ type: "integer", minimum: 0, maximum: MAX_TOP_LOGPROBS }),
    reasoning_effort: nullable({ enum: ["none", "minimal", "low", "medium", "high"] }),
    chat_template_kwargs: nullable({ type: "object", additionalProperties: false, properties: { enable_thinking: { type: "boolean" } } }),
    ...SAMPLING_PROPERTIES,
  },
} as const;
