/**
 * A chat turn: messages (+ tools, thinking, response format) → the model's prompt → generation → events a
 * front end shows: reasoning, answer text, tool calls, per-token log-probabilities, and a final summary.
 */
import { BadRequestError } from "../errors.js";
import type { ChatFormatter } from "../tokenizer/chat-formatter.js";
import { foldToolMessages } from "../tokenizer/fold-tool-messages.js";
import type { ChatMessage, ToolDefinition } from "../tokenizer/chat-types.js";
import { StreamingOutputParser } from "../tokenizer/model-output-parser.js";
import { GEMMA4_MARKERS } from "../tokenizer/special-tokens.js";
import type { InvalidToolCall, ToolCall } from "../tokenizer/tool-call-parser.js";
import type { FinishReason, LogitsProcessor, TokenLogprob } from "./generate.js";
import { banTokens, repetitionPenalties } from "./logits-processors.js";
import type { SamplingOptions } from "./sampler.js";
import type { TextGenerationOptions } from "./text-generation.js";

export type ToolChoice = "auto" | "none" | "required" | { readonly name: string };

/** Constrained decoding for structured output, as the engine applies it. */
export interface OutputConstraint {
  readonly logitsProcessor: LogitsProcessor;
  readonly onToken: (id: number) => void;
}

export type ResponseFormat =
  | { readonly type: "text" }
  | { readonly type: "json_object" }
  | { readonly type: "json_schema"; readonly schema: unknown; readonly name?: string; readonly strict?: boolean };

export interface ChatRequest extends SamplingOptions {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
  /** false: stop after the first complete tool call. */
  readonly parallelToolCalls?: boolean;
  /** Gemma 4 thinking (`enable_thinking`): the reasoning comes back separately. */
  readonly thinking?: boolean;
  readonly responseFormat?: ResponseFormat;
  /** Default: until the context is full. */
  readonly maxNewTokens?: number;
  readonly stop?: readonly string[];
  readonly topLogprobs?: number;
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  readonly templateName?: string;
  /** Further processors (logit bias, a watermark, a test script), run after the request's own. */
  readonly logitsProcessors?: readonly LogitsProcessor[];
  readonly signal?: AbortSignal;
}

export type ChatEvent =
  | { readonly type: "reasoning"; readonly text: string }
  | { readonly type: "content"; readonly text: string }
  | { readonly type: "tool_call"; readonly index: number; readonly call: ToolCall }
  | { readonly type: "invalid_tool_call"; readonly index: number; readonly call: InvalidToolCall }
  | { readonly type: "token"; readonly id: number; readonly piece: string; readonly logprob: number; readonly top?: readonly (TokenLogprob & { readonly piece: string })[] }
  | { readonly type: "done"; readonly finishReason: FinishReason | "tool_calls"; readonly usage: Usage };

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface ChatPrompt {
  /** The rendered prompt text, ending with any forced start of the answer. */
  readonly text: string;
  /** Text the model is made to begin its answer with (a forced tool call), already part of `text`. */
  readonly forcedAnswerStart: string;
  /** The prompt leaves a thought channel open. */
  readonly startsInReasoning: boolean;
}

/** Renders the request's conversation into the model's prompt (template, tools, thinking, tool choice). */
export function renderChatPrompt(formatter: ChatFormatter, request: ChatRequest): ChatPrompt {
  const toolChoice = request.toolChoice ?? "auto";
  const tools = request.tools && request.tools.length > 0 ? request.tools : null;
  if ((toolChoice === "required" || typeof toolChoice === "object") && !tools) {
    throw new BadRequestError("tool_choice requires tools, but none were given", "tool_choice");
  }
  if (typeof toolChoice === "object" && !tools!.some((t) => t.function.name === toolChoice.name)) {
    throw new BadRequestError(`tool_choice names ${JSON.stringify(toolChoice.name)}, which is not among the tools`, "tool_choice");
  }
  const text = formatter.render(foldToolMessages(request.messages), {
    tools,
    ...(request.thinking !== undefined ? { enableThinking: request.thinking } : {}),
    ...(request.templateName !== undefined ? { templateName: request.templateName } : {}),
  });
  // A forced call is written into the prompt: the model continues a call it has already begun.
  const forcedAnswerStart = toolChoice === "required" ? `${GEMMA4_MARKERS.toolCallStart}call:`
    : typeof toolChoice === "object" ? `${GEMMA4_MARKERS.toolCallStart}call:${toolChoice.name}{` : "";
  const open = text.lastIndexOf(GEMMA4_MARKERS.channelStart);
  return { text: text + forcedAnswerStart, forcedAnswerStart, startsInReasoning: open >= 0 && open > text.lastIndexOf(GEMMA4_MARKERS.channelEnd) };
}

/** Logits processors implied by the request (penalties; no tool calls under tool_choice "none"). */
export function chatLogitsProcessors(request: ChatRequest, toolCallStartId: number | null): LogitsProcessor[] {
  const processors: (LogitsProcessor | null)[] = [
    repetitionPenalties(request.presencePenalty ?? 0, request.frequencyPenalty ?? 0),
    request.toolChoice === "none" && toolCallStartId !== null ? banTokens([toolCallStartId]) : null,
  ];
  return processors.filter((p): p is LogitsProcessor => p !== null);
}

/** Turns text events of a generation into chat events (reasoning / content / tool calls). */
export class ChatOutputAssembler {
  private readonly parser: StreamingOutputParser;
  private calls = 0;
  private invalid = 0;

  constructor(prompt: ChatPrompt) {
    this.parser = new StreamingOutputParser({ startInReasoning: prompt.startsInReasoning });
    // The forced start of a call belongs to the answer even though it was part of the prompt.
    if (prompt.forcedAnswerStart) this.parser.push(prompt.forcedAnswerStart);
  }

  get toolCalls(): number {
    return this.calls;
  }

  push(text: string): ChatEvent[] {
    return this.convert(this.parser.push(text));
  }

  end(): ChatEvent[] {
    return this.convert(this.parser.end());
  }

  private convert(events: ReturnType<StreamingOutputParser["push"]>): ChatEvent[] {
    const out: ChatEvent[] = [];
    for (const e of events) {
      if (e.type === "content" || e.type === "reasoning") {
        if (e.text) out.push({ type: e.type, text: e.text });
      } else if (e.type === "tool_call") {
        out.push({ type: "tool_call", index: this.calls++, call: e.call });
      } else {
        out.push({ type: "invalid_tool_call", index: this.invalid++, call: e.call });
      }
    }
    return out;
  }
}

export type { TextGenerationOptions };
