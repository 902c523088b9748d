/**
 * How a `{"messages"}` conversation becomes training text, as segments that do or do not carry loss.
 * The interface keeps the chat-data path independent of the tokenizer/chat-template module; the built-in
 * `GEMMA4_CHAT_FORMAT` writes what Google's Gemma 4 template (models/default/chat_template.jinja) writes
 * for text-only turns:
 *   <|turn>system\n{system}<turn|>\n  <|turn>user\n{text}<turn|>\n  <|turn>model\n{text}<turn|>\n
 * Loss falls only on the model's text and its closing <turn|>. The last model turn is preceded by exactly
 * what the template's generation prompt ends with when thinking is off (`<|turn>model\n<|channel>thought\n
 * <channel|>`), so the model learns to answer from the prompt it will really see; earlier model turns keep
 * the template's history form.
 */
import { BadFileError } from "../../errors.js";

export interface ChatMessage {
  readonly role: "system" | "developer" | "user" | "assistant" | "model";
  readonly content: string;
}

export interface ChatSegment {
  readonly text: string;
  /** True where the model is trained to produce the text. */
  readonly trainable: boolean;
}

export interface ChatFormat {
  render(messages: readonly ChatMessage[]): ChatSegment[];
}

export const GEMMA4_CHAT_FORMAT: ChatFormat = {
  render(messages) {
    const out: ChatSegment[] = [];
    let rest = messages;
    const first = messages[0];
    if (first && (first.role === "system" || first.role === "developer")) {
      out.push({ text: `<|turn>system\n${first.content.trim()}<turn|>\n`, trainable: false });
      rest = messages.slice(1);
    }
    let lastModel = -1;
    rest.forEach((m, i) => { if (m.role === "assistant" || m.role === "model") lastModel = i; });
    rest.forEach((m, i) => {
      if (m.role === "assistant" || m.role === "model") {
        out.push({ text: i === lastModel ? "<|turn>model\n<|channel>thought\n<channel|>" : "<|turn>model\n", trainable: false });
        out.push({ text: `${stripThinking(m.content)}<turn|>`, trainable: true });
        out.push({ text: "\n", trainable: false });
      } else {
        out.push({ text: `<|turn>${m.role}\n${m.content.trim()}<turn|>\n`, trainable: false });
      }
    });
    return out;
  },
};

/** The template's strip_thinking: drops <|channel>…<channel|> blocks, trims. */
function stripThinking(text: string): string {
  return text.split("<channel|>").map((part) => part.split("<|channel>")[0]!).join("").trim();
}

/** Validates one `messages` field of a JSONL line. */
export function parseMessages(value: unknown, path: string, line: number): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw new BadFileError(path, `line ${line}: "messages" must be a non-empty array`);
  return value.map((m, i) => {
    if (m === null || typeof m !== "object") throw new BadFileError(path, `line ${line}: messages[${i}] is not an object`);
    const { role, content } = m as Record<string, unknown>;
    if (role !== "system" && role !== "developer" && role !== "user" && role !== "assistant" && role !== "model") {
      throw new BadFileError(path, `line ${line}: messages[${i}].role ${JSON.stringify(role)} is not system, user, assistant or model`);
    }
    if (typeof content !== "string") throw new BadFileError(path, `line ${line}: messages[${i}].content must be a string`);
    return { role, content };
  });
}
