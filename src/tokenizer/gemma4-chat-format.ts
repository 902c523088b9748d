/**
 * The built-in Gemma 4 chat format, for model folders that ship no template: a line-for-line rendering of
 * Google's E2B/E4B template (test/fixtures/chat/gemma4-e-it.jinja, gemma-architecture.md §4.13), checked
 * against it on every fixture row and on random conversations.
 *
 *   <bos><|turn>system\n{<|think|>}{system}{<|tool>declaration…<tool|>…}<turn|>\n
 *   <|turn>user\n{text}<turn|>\n<|turn>model\n{calls}{responses}{answer}<turn|>\n
 *   <|turn>model\n{<|channel>thought\n<channel|> unless thinking}
 *
 * Where the template would print a Python repr (a system message given as a list of parts) this joins
 * the text parts instead.
 */
import { BadRequestError } from "../errors.js";
import type { ChatFormatOptions, ChatMessage, ContentPart, ToolDefinition } from "./chat-types.js";
import { formatGemma4Value } from "./gemma4-value-format.js";
import { formatToolDeclaration, isTruthy, pythonText } from "./gemma4-tool-declaration.js";
import { dictsortEntries, pythonStrip } from "./python-string.js";
import { GEMMA4_MARKERS as M } from "./special-tokens.js";
import { normalizeTools } from "./tool-definitions.js";

type PrevType = "think" | "tool" | "tool_call" | "tool_response" | "image" | "audio" | "video" | null;

/** The template's strip_thinking: drop every `<|channel>…<channel|>` span, then trim. */
export function stripThinking(text: string): string {
  let result = "";
  for (const part of text.split(M.channelEnd)) result += part.includes(M.channelStart) ? part.split(M.channelStart)[0]! : part;
  return pythonStrip(result);
}

/** `{k:v,…}` of a call's arguments or a tool's response object, keys bare, in dictsort order. */
function fields(object: { readonly [key: string]: unknown }): string {
  return dictsortEntries(object).map(([k, v]) => k + ":" + formatGemma4Value(v)).join(",");
}

/** One tool response as the template writes it (also what generation continues with, tool-response.ts). */
export function formatToolResponseBlock(name: string | null | undefined, response: unknown): string {
  const label = "response:" + (name ?? "unknown");
  const body = typeof response === "object" && response !== null && !Array.isArray(response)
    ? "{" + fields(response as Record<string, unknown>) + "}"
    : "{value:" + formatGemma4Value(response) + "}";
  return M.toolResponseStart + label + body + M.toolResponseEnd;
}

/** One call as the template writes it into history. */
export function formatToolCallBlock(name: string, args: unknown): string {
  const body = typeof args === "string" ? args : typeof args === "object" && args !== null && !Array.isArray(args) ? fields(args as Record<string, unknown>) : "";
  return M.toolCallStart + "call:" + name + "{" + body + "}" + M.toolCallEnd;
}

function systemText(content: ChatMessage["content"]): string {
  if (typeof content === "string") return pythonStrip(content);
  if (Array.isArray(content)) return pythonStrip((content as readonly ContentPart[]).map((p) => (p.type === "text" ? (p as { text: string }).text : "")).join(""));
  return "";
}

export function renderGemma4Chat(messages: readonly ChatMessage[], options: ChatFormatOptions = {}, bosToken = "<bos>"): string {
  if (messages.length === 0) throw new BadRequestError("messages must hold at least one message", "messages");
  const tools: readonly ToolDefinition[] = options.tools ? normalizeTools(options.tools) : [];
  const thinking = options.enableThinking === true;
  let prev: PrevType = null;
  let loop = messages;
  let out = bosToken;
  const first = messages[0]!;
  const firstIsSystem = first.role === "system" || first.role === "developer";
  if (thinking || isTruthy(tools) || firstIsSystem) {
    out += M.turnStart + "system\n";
    if (thinking) {
      out += M.think;
      prev = "think";
    }
    if (firstIsSystem) {
      out += systemText(first.content);
      loop = messages.slice(1);
    }
    if (isTruthy(tools)) {
      for (const tool of tools) out += M.toolStart + formatToolDeclaration(tool) + M.toolEnd;
      prev = "tool";
    }
    out += M.turnEnd + "\n";
  }
  for (const [index, message] of loop.entries()) {
    prev = null;
    const role = message.role === "assistant" ? "model" : message.role;
    out += M.turnStart + role + "\n";
    if (isTruthy(message.tool_calls)) {
      for (const call of message.tool_calls!) {
        if (typeof call?.function?.name !== "string") throw new BadRequestError(`messages[${index}].tool_calls: each call needs function.name`, "messages");
        out += formatToolCallBlock(call.function.name, call.function.arguments);
      }
      prev = "tool_call";
    }
    if (isTruthy(message.tool_responses)) {
      for (const response of message.tool_responses!) out += formatToolResponseBlock(response.name, response.response);
      prev = "tool_response";
    }
    const content = message.content;
    if (typeof content === "string") {
      out += role === "model" ? stripThinking(content) : pythonStrip(content);
    } else if (Array.isArray(content)) {
      for (const item of content as readonly ContentPart[]) {
        if (item.type === "text") {
          const text = pythonText((item as { text?: unknown }).text);
          out += role === "model" ? stripThinking(text) : pythonStrip(text);
        } else if (item.type === "image") {
          out += "\n\n<|image|>\n\n";
          prev = "image";
        } else if (item.type === "audio") {
          out += "<|audio|>";
          prev = "audio";
        } else if (item.type === "video") {
          out += "\n\n<|video|>\n\n";
          prev = "video";
        }
      }
    }
    if (!(isTruthy(message.tool_responses) && !isTruthy(content))) out += M.turnEnd + "\n";
  }
  if (options.addGenerationPrompt ?? true) {
    if (prev !== "tool_response") out += M.turnStart + "model\n";
    if (!thinking) out += M.channelStart + "thought\n" + M.channelEnd;
  }
  return out;
}
