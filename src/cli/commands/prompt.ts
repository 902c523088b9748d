/**
 * `gemma4 prompt MODEL --messages FILE.json`: the exact prompt text a model would see for a conversation
 * (its own chat template, or the built-in Gemma format). Needs only the tokenizer files of the folder.
 */
import { BadFileError, BadRequestError } from "../../errors.js";
import { ChatFormatter, checkMessages } from "../../tokenizer/chat-formatter.js";
import type { ChatFormatOptions, ChatMessage, ToolDefinition } from "../../tokenizer/chat-types.js";
import type { CliCommand } from "../command.js";
import { modelOrDefault, parseCommandLine, UsageError } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { loadCliTokenizer } from "../model-options.js";
import { readJsonFile } from "../json-input.js";
import { readTools } from "../tool-file.js";

export const promptCommand: CliCommand = {
  name: "prompt",
  summary: "print the exact prompt text a model sees for a conversation; needs only tokenizer files",
  usage: `usage: gemma4 prompt [MODEL] --messages FILE.json [--tools FILE.json] [--think] [--no-generation-prompt] [--builtin] [--format text|json]

  MODEL                   a model folder holding tokenizer.json (and its chat template), a .gguf file, or a cached Hub model
                          org/name; --model also accepted; without it, the bundled default model
  --messages FILE         a JSON list of messages ({"role": "user", "content": "…"}, …) or {"messages": […], "tools": […]}
  --tools FILE            OpenAI-style tool definitions: a JSON list or {"tools": […]}
  --think                 turn thinking on (Gemma 4: <|think|> at the top of the system turn)
  --no-generation-prompt  stop after the last message instead of opening the model's turn
  --builtin               use the built-in Gemma format even when the folder has a chat template
  --format F              text (default: the prompt exactly), json ({format, prompt, numTokens, ids})`,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      model: { type: "string" },
      messages: { type: "string" },
      tools: { type: "string" },
      think: { type: "boolean" },
      "no-generation-prompt": { type: "boolean" },
      builtin: { type: "boolean" },
      format: { type: "string" },
    });
    const model = modelOrDefault(positionals, values.model, defaultModelDir);
    if (positionals.length > (values.model === undefined ? 1 : 0)) throw new UsageError(`unexpected argument ${JSON.stringify(positionals.at(-1))}`);
    if (values.messages === undefined) throw new UsageError("missing --messages FILE.json", "messages");
    const format = values.format ?? "text";
    if (format !== "text" && format !== "json") throw new UsageError(`--format must be text or json, not ${JSON.stringify(format)}`, "format");

    const { messages, tools: inlineTools } = readMessages(values.messages);
    const tools = values.tools !== undefined ? readTools(values.tools, readJsonFile(values.tools)) : inlineTools;
    const tokenizer = await loadCliTokenizer(model);
    const formatter = new ChatFormatter(tokenizer, { builtin: values.builtin ?? false });
    const options: ChatFormatOptions = {
      ...(tools ? { tools } : {}),
      ...(values.think ? { enableThinking: true } : {}),
      addGenerationPrompt: !values["no-generation-prompt"],
    };
    const prompt = formatter.render(messages, options);
    if (format === "json") {
      const ids = [...tokenizer.encodePrompt(prompt)];
      process.stdout.write(JSON.stringify({ format: formatter.source, prompt, numTokens: ids.length, ids }) + "\n");
    } else {
      process.stdout.write(prompt + (process.stdout.isTTY && !prompt.endsWith("\n") ? "\n" : ""));
    }
  },
};

function readMessages(path: string): { messages: ChatMessage[]; tools: ToolDefinition[] | null } {
  const json = readJsonFile(path);
  const wrapped = typeof json === "object" && json !== null && !Array.isArray(json);
  const messages = wrapped ? (json as Record<string, unknown>)["messages"] : json;
  try {
    checkMessages(messages);
  } catch (e) {
    if (e instanceof BadRequestError) throw new BadFileError(path, e.message, { cause: e });
    throw e;
  }
  const tools = wrapped && (json as Record<string, unknown>)["tools"] !== undefined ? readTools(path, (json as Record<string, unknown>)["tools"]) : null;
  return { messages: messages as ChatMessage[], tools };
}
