/**
 * `gemma4 chat [MODEL]`: an interactive conversation in the terminal. Answers stream as they are generated;
 * Ctrl-C stops the current answer (not the session); Ctrl-C at an empty prompt or Ctrl-D ends it.
 */
import { createInterface, type Interface } from "node:readline";
import { writeJsonAtomic } from "../../formats/atomic-write.js";
import type { Model } from "../../api/model.js";
import type { ChatMessage, ToolDefinition } from "../../tokenizer/chat-types.js";
import { isGemmaError, CancelledError } from "../../errors.js";
import type { CliCommand } from "../command.js";
import { UsageError, numberFlag, parseCommandLine } from "../command.js";
import { ChatEventPrinter, formatStats } from "../chat-output.js";
import { defaultModelDir } from "../default-model.js";
import { MODEL_FLAGS, MODEL_FLAGS_HELP, loadCliModel } from "../model-options.js";
import { SAMPLING_FLAGS, samplingFromFlags } from "../sampling-flags.js";
import type { SamplingOptions } from "../../engine/sampler.js";
import { readToolsFile } from "../tool-file.js";

const HELP = `commands:
  /system TEXT   set the system message (and start over)
  /reset         forget the conversation
  /tools FILE    offer these tools (OpenAI-style JSON); /tools off to stop
  /think on|off  let the model think before answering
  /save FILE     save the conversation as JSON
  /help, /exit
  A line ending in \\ continues on the next line; """ starts and ends a multi-line block.
  Ctrl-C stops an answer; Ctrl-C on an empty line or Ctrl-D leaves.`;

export const chatCommand: CliCommand = {
  name: "chat",
  summary: "talk with a model in the terminal (streaming, /system, /reset, /tools, /save, Ctrl-C stops an answer)",
  usage: `usage: gemma4 chat [MODEL] [--system TEXT] [--think] [--tools FILE] [--max-new-tokens N] [sampling flags] [model flags]

${MODEL_FLAGS_HELP}

${HELP}`,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      ...MODEL_FLAGS, ...SAMPLING_FLAGS,
      system: { type: "string" }, think: { type: "boolean" }, tools: { type: "string" }, "max-new-tokens": { type: "string" },
    });
    if (positionals.length > 1 || (positionals.length === 1 && values.model !== undefined)) throw new UsageError("give at most one MODEL");
    const reference = values.model ?? positionals[0] ?? defaultModelDir();
    const maxNewTokens = numberFlag("max-new-tokens", values["max-new-tokens"], { min: 1, integer: true });
    const tools = values.tools !== undefined ? readToolsFile(values.tools) : null;
    samplingFromFlags(values); // the flags are checked before the model loads (the model's defaults come after)
    process.stderr.write(`loading ${reference} …\n`);
    const started = performance.now();
    const model = await loadCliModel(reference, values);
    process.stderr.write(`loaded in ${((performance.now() - started) / 1000).toFixed(1)} s (${model.config.family}, ${model.config.numLayers} layers, backend ${model.backend.name}). /help for commands.\n`);
    const repl = new ChatRepl(model, samplingFromFlags(values, model.generationDefaults), { system: values.system ?? null, thinking: values.think ?? false, tools, maxNewTokens });
    try {
      await repl.run();
    } finally {
      model.dispose();
    }
  },
};

interface ChatSettings {
  system: string | null;
  thinking: boolean;
  tools: ToolDefinition[] | null;
  maxNewTokens: number | undefined;
}

class ChatRepl {
  private history: ChatMessage[] = [];
  private answering: AbortController | null = null;
  private rl!: Interface;
  private lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  /** Input has ended (EOF, Ctrl-D, Ctrl-C at an empty prompt): once the queued lines are read, stop. */
  private inputEnded = false;

  constructor(private readonly model: Model, private readonly sampling: SamplingOptions, private readonly settings: ChatSettings) {}

  async run(): Promise<void> {
    this.rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true, prompt: "> " });
    this.rl.on("line", (line) => this.deliver(line));
    this.rl.on("close", () => { this.inputEnded = true; this.deliver(null); });
    this.rl.on("SIGINT", () => {
      if (this.answering) { this.answering.abort(); return; }
      if (this.rl.line.length > 0) { this.rl.write(null, { ctrl: true, name: "u" }); process.stdout.write("\n"); this.rl.prompt(); return; }
      this.rl.close();
    });
    // Piped input arrives (and ends) long before the answers are done: every queued line is still read.
    for (;;) {
      const input = await this.readMessage();
      if (input === null) break;
      const text = input.trim();
      if (text === "") continue;
      if (text.startsWith("/")) {
        if (!this.command(text)) break;
        continue;
      }
      await this.answer({ role: "user", content: text });
    }
    this.rl.close();
    process.stdout.write("\n");
  }

  private deliver(line: string | null): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(line);
    } else if (line !== null) {
      this.lines.push(line);
    }
  }

  private nextLine(prompt: string): Promise<string | null> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.inputEnded) return Promise.resolve(null);
    this.rl.setPrompt(prompt);
    this.rl.prompt();
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  /** One message: a line, lines joined by a trailing backslash, or a """ … """ block. */
  private async readMessage(): Promise<string | null> {
    const first = await this.nextLine("> ");
    if (first === null) return null;
    if (first.trim() === '"""') {
      const block: string[] = [];
      for (;;) {
        const line = await this.nextLine("… ");
        if (line === null || line.trim() === '"""') break;
        block.push(line);
      }
      return block.join("\n");
    }
    const parts = [first];
    while (parts.at(-1)!.endsWith("\\")) {
      parts[parts.length - 1] = parts.at(-1)!.slice(0, -1);
      const line = await this.nextLine("… ");
      if (line === null) break;
      parts.push(line);
    }
    return parts.join("\n");
  }

  /** Runs a /command; returns false to leave. */
  private command(text: string): boolean {
    const [name, ...rest] = text.split(/\s+/);
    const arg = text.slice(name!.length).trim();
    try {
      switch (name) {
        case "/exit": case "/quit": return false;
        case "/help": process.stdout.write(HELP + "\n"); break;
        case "/reset": this.history = []; process.stdout.write("(conversation cleared)\n"); break;
        case "/system":
          this.settings.system = arg || null;
          this.history = [];
          process.stdout.write(arg ? "(system message set; conversation cleared)\n" : "(system message removed)\n");
          break;
        case "/think":
          if (rest[0] !== "on" && rest[0] !== "off") throw new UsageError("/think on or /think off");
          this.settings.thinking = rest[0] === "on";
          process.stdout.write(`(thinking ${rest[0]})\n`);
          break;
        case "/tools":
          if (!arg) throw new UsageError("/tools FILE (or /tools off)");
          this.settings.tools = arg === "off" ? null : readToolsFile(arg);
          process.stdout.write(this.settings.tools ? `(tools: ${this.settings.tools.map((t) => t.function.name).join(", ")})\n` : "(no tools)\n");
          break;
        case "/save": {
          if (!arg) throw new UsageError("/save FILE");
          writeJsonAtomic(arg, { messages: this.messages(), ...(this.settings.tools ? { tools: this.settings.tools } : {}) });
          process.stdout.write(`(saved ${this.messages().length} messages to ${arg})\n`);
          break;
        }
        default: throw new UsageError(`unknown command ${name} (/help lists them)`);
      }
    } catch (e) {
      if (!isGemmaError(e) && !(e instanceof Error && "code" in e)) throw e;
      process.stdout.write(`error: ${(e as Error).message}\n`);
    }
    return true;
  }

  private messages(): ChatMessage[] {
    return [...(this.settings.system ? [{ role: "system", content: this.settings.system }] : []), ...this.history];
  }

  /** Streams one answer; tool calls are shown and their results asked for, then the model goes on. */
  private async answer(message: ChatMessage): Promise<void> {
    this.history.push(message);
    for (;;) {
      const printer = new ChatEventPrinter(process.stdout, process.stderr);
      this.answering = new AbortController();
      let content = "";
      const calls: { name: string; arguments: unknown }[] = [];
      let usage = { promptTokens: 0, completionTokens: 0 };
      let stopped = false;
      try {
        for await (const event of this.model.chat({
          messages: this.messages(), ...this.sampling,
          ...(this.settings.maxNewTokens ? { maxNewTokens: this.settings.maxNewTokens } : {}),
          ...(this.settings.thinking ? { thinking: true } : {}),
          ...(this.settings.tools ? { tools: this.settings.tools } : {}),
          signal: this.answering.signal,
        })) {
          printer.handle(event);
          if (event.type === "content") content += event.text;
          if (event.type === "tool_call") calls.push({ name: event.call.name, arguments: event.call.arguments });
          if (event.type === "done") usage = event.usage;
        }
      } catch (e) {
        if (!(e instanceof CancelledError)) {
          this.answering = null;
          if (isGemmaError(e)) { process.stdout.write(`\nerror: ${e.message}\n`); this.history.pop(); return; }
          throw e;
        }
        stopped = true;
      }
      this.answering = null;
      const stats = printer.finish(stopped ? { promptTokens: usage.promptTokens, completionTokens: printer.tokens } : usage);
      if (!content.endsWith("\n")) process.stdout.write("\n");
      process.stderr.write(`${stopped ? "(stopped) " : ""}${formatStats(stats)}\n`);
      this.history.push({
        role: "assistant",
        content,
        ...(calls.length > 0 ? { tool_calls: calls.map((c) => ({ type: "function" as const, function: { name: c.name, arguments: c.arguments as Record<string, never> } })) } : {}),
      });
      if (stopped || calls.length === 0) return;
      // Ask the user for each tool's result, then let the model continue with them.
      for (const call of calls) {
        const result = await this.nextLine(`result of ${call.name}> `);
        if (result === null) return;
        this.history.push({ role: "tool", name: call.name, content: result });
      }
    }
  }
}
