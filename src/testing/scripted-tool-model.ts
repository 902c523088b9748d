/**
 * A test model "made to call a tool": a real Model whose `chat` gets one extra logits processor when the
 * request has tools. The processor forces a scripted token sequence — the call text on the first turn, a
 * final answer once the conversation holds a tool result — so the server's whole tool path (template with
 * tool declarations, generation, the streaming tool-call parser, OpenAI tool_calls out, tool messages back
 * in) runs for real while the random weights cannot be relied on to write a call by themselves.
 * Everything else (requests without tools) goes to the model untouched.
 */
import type { Model } from "../api/model.js";
import type { ChatEvent, ChatRequest } from "../engine/chat-generation.js";
import type { LogitsProcessor } from "../engine/generate.js";

export interface ToolScript {
  /** What the model writes when the conversation has no tool result yet (a call, ending with its stop token). */
  readonly call: string;
  /** What it writes once a tool result is there. */
  readonly answer: string;
}

/** Gemma 4: call get_weather(city="Paris"), hand over with `<|tool_response>`; then answer and end the turn. */
export const WEATHER_SCRIPT: ToolScript = {
  call: '<|tool_call>call:get_weather{city:<|"|>Paris<|"|>}<tool_call|><|tool_response>',
  answer: "It is sunny in Paris.<turn|>",
};

/** Forces `ids` one by one (then leaves the logits alone). */
export function forceTokens(ids: Int32Array): LogitsProcessor {
  return (logits, generated) => {
    const next = ids[generated.length];
    if (next === undefined) return;
    logits.fill(-Infinity);
    logits[next] = 0;
  };
}

export interface ScriptedToolModel {
  readonly model: Model;
  /** The chat requests that carried tools, as the model received them. */
  readonly toolRequests: ChatRequest[];
}

export function scriptedToolModel(model: Model, script: ToolScript = WEATHER_SCRIPT): ScriptedToolModel {
  const tokenizer = model.tokenizer;
  if (!tokenizer) throw new Error("the scripted tool model needs a tokenizer");
  const callIds = tokenizer.encode(script.call);
  const answerIds = tokenizer.encode(script.answer);
  const toolRequests: ChatRequest[] = [];
  // Everything but `chat` is the model's own; enableBatching must reach the real object (it assigns a field).
  const wrapped = Object.create(model) as Model;
  Object.defineProperty(wrapped, "enableBatching", { value: model.enableBatching.bind(model) });
  Object.defineProperty(wrapped, "chat", {
    value(request: ChatRequest): AsyncGenerator<ChatEvent> {
      if (!request.tools || request.tools.length === 0) return model.chat(request);
      toolRequests.push(request);
      const answered = request.messages.some((m) => m.role === "tool" || (m.tool_responses?.length ?? 0) > 0);
      return model.chat({ ...request, logitsProcessors: [...(request.logitsProcessors ?? []), forceTokens(answered ? answerIds : callIds)] });
    },
  });
  return { model: wrapped, toolRequests };
}
