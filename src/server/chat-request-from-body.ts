/** A validated `/v1/chat/completions` body → the chat layer's ChatRequest for one choice. */
import type { ChatRequest, ResponseFormat, ToolChoice } from "../engine/chat-generation.js";
import type { LogitsProcessor } from "../engine/generate.js";
import type { GenerationDefaults } from "../formats/hf-config.js";
import type { ToolDefinition } from "../tokenizer/chat-types.js";
import type { ChatBody } from "./chat-request-schema.js";
import { toChatMessages } from "./openai-chat-messages.js";
import { samplingFromRequest } from "./sampling-from-request.js";
import { stopList } from "./schema-fragments.js";

function toolChoiceOf(choice: ChatBody["tool_choice"]): ToolChoice | undefined {
  if (choice == null) return undefined;
  return typeof choice === "string" ? choice : { name: choice.function.name };
}

function responseFormatOf(format: ChatBody["response_format"]): ResponseFormat | undefined {
  if (format == null) return undefined;
  if (format.type !== "json_schema") return { type: format.type };
  const spec = format.json_schema;
  return { type: "json_schema", schema: spec.schema ?? {}, name: spec.name, ...(spec.strict != null ? { strict: spec.strict } : {}) };
}

/** Thinking: chat_template_kwargs.enable_thinking wins; otherwise reasoning_effort other than none/minimal turns it on. */
function thinkingOf(body: ChatBody): boolean | undefined {
  const explicit = body.chat_template_kwargs?.enable_thinking;
  if (explicit !== undefined) return explicit;
  if (body.reasoning_effort == null) return undefined;
  return body.reasoning_effort !== "none" && body.reasoning_effort !== "minimal";
}

export function chatRequestFromBody(body: ChatBody, defaults: GenerationDefaults, choice: number, signal: AbortSignal, logitsProcessors: readonly LogitsProcessor[]): ChatRequest {
  const tools: ToolDefinition[] | undefined = body.tools?.map((t) => ({
    type: "function",
    function: {
      name: t.function.name,
      ...(t.function.description !== undefined ? { description: t.function.description } : {}),
      ...(t.function.parameters !== undefined ? { parameters: t.function.parameters } : {}),
    },
  }));
  const toolChoice = toolChoiceOf(body.tool_choice);
  const responseFormat = responseFormatOf(body.response_format);
  const thinking = thinkingOf(body);
  const maxNewTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const stop = stopList(body.stop);
  return {
    ...samplingFromRequest(body, defaults, choice),
    messages: toChatMessages(body.messages),
    ...(tools && tools.length > 0 ? { tools } : {}),
    ...(toolChoice !== undefined ? { toolChoice } : {}),
    ...(body.parallel_tool_calls != null ? { parallelToolCalls: body.parallel_tool_calls } : {}),
    ...(thinking !== undefined ? { thinking } : {}),
    ...(responseFormat !== undefined ? { responseFormat } : {}),
    ...(maxNewTokens !== undefined ? { maxNewTokens } : {}),
    ...(stop.length > 0 ? { stop } : {}),
    ...(body.logprobs ? { topLogprobs: body.top_logprobs ?? 0 } : {}),
    ...(body.presence_penalty != null ? { presencePenalty: body.presence_penalty } : {}),
    ...(body.frequency_penalty != null ? { frequencyPenalty: body.frequency_penalty } : {}),
    ...(logitsProcessors.length > 0 ? { logitsProcessors } : {}),
    signal,
  };
}
