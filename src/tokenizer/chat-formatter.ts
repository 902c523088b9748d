/**
 * Turns a conversation into the prompt text a model expects: the model's own chat template when its folder
 * has one (as transformers does), else the built-in format for the tokenizer's turn markers (Gemma 4
 * `<|turn>` or Gemma 1–3 `<start_of_turn>`). Tokenize the result with `tokenizer.encodePrompt`, which keeps
 * the template's `<bos>` and never adds a second.
 */
import { BadRequestError, UnsupportedError } from "../errors.js";
import { JinjaChatTemplate, selectChatTemplate } from "./chat-template.js";
import type { ChatFormatOptions, ChatMessage } from "./chat-types.js";
import { renderGemma3Chat } from "./gemma3-chat-format.js";
import { renderGemma4Chat } from "./gemma4-chat-format.js";
import type { Tokenizer } from "./tokenizer.js";
import { normalizeTools } from "./tool-definitions.js";

export type ChatFormatSource = "template" | "builtin-gemma4" | "builtin-gemma3";

export interface ChatFormatterOptions {
  /** Ignore the folder's template and use the built-in format (for checks and comparisons). */
  readonly builtin?: boolean;
}

export class ChatFormatter {
  private readonly parsed = new Map<string, JinjaChatTemplate>();
  private readonly useTemplate: boolean;

  constructor(private readonly tokenizer: Tokenizer, options: ChatFormatterOptions = {}) {
    this.useTemplate = !options.builtin && tokenizer.chatTemplates.size > 0;
    if (!this.useTemplate && tokenizer.special.turnStyle === "none") {
      throw new UnsupportedError(`${tokenizer.dir}: no chat template and no Gemma turn tokens, so there is no chat format to use (give it a chat_template.jinja)`);
    }
  }

  /** Where prompts come from: the folder's template, or which built-in format. */
  get source(): ChatFormatSource {
    if (this.useTemplate) return "template";
    return this.tokenizer.special.turnStyle === "gemma4" ? "builtin-gemma4" : "builtin-gemma3";
  }

  /** The prompt text for `messages` (BadRequestError for conversations the format rejects). */
  render(messages: readonly ChatMessage[], options: ChatFormatOptions = {}): string {
    checkMessages(messages);
    const tools = options.tools ? normalizeTools(options.tools) : null;
    const opts: ChatFormatOptions = { ...options, tools };
    if (this.useTemplate) {
      const source = selectChatTemplate(this.tokenizer.chatTemplates, opts);
      if (source === null) throw new BadRequestError(`${this.tokenizer.dir}: no default chat template (named ones: ${[...this.tokenizer.chatTemplates.keys()].join(", ")}); pick one with templateName`, "templateName");
      let template = this.parsed.get(source.name);
      if (!template) {
        template = new JinjaChatTemplate(source);
        this.parsed.set(source.name, template);
      }
      return template.render(messages, this.tokenizer.templateTokens, opts);
    }
    const bos = this.tokenizer.special.bosToken ?? "";
    return this.source === "builtin-gemma4" ? renderGemma4Chat(messages, opts, bos) : renderGemma3Chat(messages, opts, bos);
  }

  /** Prompt ids: the rendered text with exactly one leading `<bos>`. */
  encode(messages: readonly ChatMessage[], options: ChatFormatOptions = {}): Int32Array {
    return this.tokenizer.encodePrompt(this.render(messages, options));
  }
}

/** Messages must be objects with a string role; content a string, a list of parts, or absent. */
export function checkMessages(messages: unknown): asserts messages is readonly ChatMessage[] {
  if (!Array.isArray(messages)) throw new BadRequestError("messages must be a list", "messages");
  if (messages.length === 0) throw new BadRequestError("messages is empty (a conversation needs at least one message)", "messages");
  for (const [i, m] of messages.entries()) {
    if (typeof m !== "object" || m === null || Array.isArray(m)) throw new BadRequestError(`messages[${i}] must be an object`, "messages");
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== "string" || role === "") throw new BadRequestError(`messages[${i}].role must be a non-empty string`, "messages");
    if (content !== undefined && content !== null && typeof content !== "string" && !Array.isArray(content)) {
      throw new BadRequestError(`messages[${i}].content must be a string or a list of parts`, "messages");
    }
    if (Array.isArray(content)) {
      for (const [j, part] of content.entries()) {
        if (typeof part !== "object" || part === null || typeof (part as Record<string, unknown>)["type"] !== "string") {
          throw new BadRequestError(`messages[${i}].content[${j}] must be an object with a string "type"`, "messages");
        }
      }
    }
  }
}
