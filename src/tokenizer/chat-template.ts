/**
 * A model's own chat template (Jinja), rendered with `@huggingface/jinja` and the variables transformers'
 * `apply_chat_template` passes: `messages`, `tools` (None when absent), `documents` (None),
 * `add_generation_prompt`, every special token by name (`bos_token`, `eos_token`, …), extra keyword
 * arguments such as `enable_thinking` (only when given), and the globals `raise_exception` and
 * `strftime_now`. Checked against Python jinja2 renders of the Gemma 3 and both Gemma 4 templates
 * (test/fixtures/chat).
 */
import { Template } from "@huggingface/jinja";
import { BadFileError, BadRequestError } from "../errors.js";
import type { ChatFormatOptions, ChatMessage } from "./chat-types.js";
import { JinjaEnvironment, JinjaInterpreter } from "./library-types.js";
import { strftimeNow } from "./strftime.js";
import { normalizeTools } from "./tool-definitions.js";
import type { ChatTemplateSource } from "./tokenizer-files.js";

/** What `raise_exception(msg)` in a template throws: the template rejected the conversation. */
class TemplateRaised extends Error {}

/** Python's `range` (the global @huggingface/jinja defines; we build the environment ourselves). */
function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error("range() step must not be zero");
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

export class JinjaChatTemplate {
  private readonly template: Template;

  constructor(readonly source: ChatTemplateSource) {
    try {
      this.template = new Template(source.text);
    } catch (e) {
      throw new BadFileError(source.path, `chat template${source.name === "default" ? "" : ` "${source.name}"`} does not parse (${firstLine(e)})`, { cause: e });
    }
  }

  /**
   * Renders `messages`. `specialTokens` are the template's token variables (Tokenizer.templateTokens).
   * A template that raises (e.g. Gemma 3 on roles that do not alternate) gives a BadRequestError.
   */
  render(messages: readonly ChatMessage[], specialTokens: Readonly<Record<string, string>>, options: ChatFormatOptions = {}): string {
    const variables: Record<string, unknown> = {
      ...specialTokens,
      ...(options.enableThinking === undefined ? {} : { enable_thinking: options.enableThinking }),
      ...options.variables,
      messages,
      tools: options.tools ? normalizeTools(options.tools) : null,
      documents: null,
      add_generation_prompt: options.addGenerationPrompt ?? true,
    };
    const env = new JinjaEnvironment();
    for (const [name, value] of Object.entries({ true: true, false: false, none: null, True: true, False: false, None: null })) env.set(name, value);
    env.set("range", range);
    env.set("raise_exception", (message: unknown) => {
      throw new TemplateRaised(String(message));
    });
    env.set("strftime_now", strftimeNow);
    for (const [name, value] of Object.entries(variables)) env.set(name, value);
    let result: unknown;
    try {
      result = new JinjaInterpreter(env).run(this.template.parsed).value;
    } catch (e) {
      if (e instanceof TemplateRaised) throw new BadRequestError(`chat template: ${e.message}`, "messages", { cause: e });
      throw new BadRequestError(`chat template ${this.source.path} failed on these messages (${firstLine(e)})`, "messages", { cause: e });
    }
    if (typeof result !== "string") throw new BadRequestError(`chat template ${this.source.path} did not produce text`, "messages");
    return result;
  }
}

/**
 * The named template transformers would pick: `templateName` if given, else "tool_use" when tools are
 * given and it exists, else "default".
 */
export function selectChatTemplate(templates: ReadonlyMap<string, ChatTemplateSource>, options: Pick<ChatFormatOptions, "templateName" | "tools"> = {}): ChatTemplateSource | null {
  if (options.templateName !== undefined) {
    const chosen = templates.get(options.templateName);
    if (!chosen) throw new BadRequestError(`no chat template named "${options.templateName}" (have: ${[...templates.keys()].join(", ") || "none"})`, "templateName");
    return chosen;
  }
  if (options.tools && options.tools.length > 0 && templates.has("tool_use")) return templates.get("tool_use")!;
  return templates.get("default") ?? null;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
