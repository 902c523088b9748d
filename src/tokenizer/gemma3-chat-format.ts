/**
 * The built-in Gemma 3 chat format (also right for Gemma 1/2 conversations without a system message), for
 * folders that ship no template: the template from Gemma 3's tokenizer_config.json rendered by hand
 * (gemma-architecture.md §5). There is no system turn: a system message's text plus a blank line is put
 * at the start of the first user turn. Roles must alternate user/model, as the template demands.
 *
 *   <bos><start_of_turn>user\n{system}\n\n{text}<end_of_turn>\n<start_of_turn>model\n{answer}<end_of_turn>\n…
 */
import { BadRequestError } from "../errors.js";
import type { ChatFormatOptions, ChatMessage, ContentPart } from "./chat-types.js";
import { pythonText } from "./gemma4-tool-declaration.js";
import { pythonStrip } from "./python-string.js";

const ALTERNATION = "Conversation roles must alternate user/assistant/user/assistant/...";

export function renderGemma3Chat(messages: readonly ChatMessage[], options: ChatFormatOptions = {}, bosToken = "<bos>"): string {
  if (messages.length === 0) throw new BadRequestError("messages must hold at least one message", "messages");
  let out = bosToken;
  let firstUserPrefix = "";
  let loop = messages;
  const first = messages[0]!;
  if (first.role === "system") {
    // Not trimmed: the template adds the system text as it is.
    const content = first.content;
    const text = typeof content === "string" ? content : Array.isArray(content) && content.length > 0 ? pythonText((content[0] as { text?: unknown }).text) : "";
    firstUserPrefix = text + "\n\n";
    loop = messages.slice(1);
  }
  for (const [index, message] of loop.entries()) {
    if ((message.role === "user") !== (index % 2 === 0)) throw new BadRequestError(`chat template: ${ALTERNATION}`, "messages");
    const role = message.role === "assistant" ? "model" : message.role;
    out += "<start_of_turn>" + role + "\n" + (index === 0 ? firstUserPrefix : "");
    const content = message.content;
    if (typeof content === "string") {
      out += pythonStrip(content);
    } else if (Array.isArray(content)) {
      for (const item of content as readonly ContentPart[]) {
        if (item.type === "image") out += "<start_of_image>";
        else if (item.type === "text") out += pythonStrip(pythonText((item as { text?: unknown }).text));
      }
    } else {
      throw new BadRequestError("chat template: Invalid content type", "messages");
    }
    out += "<end_of_turn>\n";
  }
  if (options.addGenerationPrompt ?? true) out += "<start_of_turn>model\n";
  return out;
}
