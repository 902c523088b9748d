/** `gemma4 run [MODEL] PROMPT`: one answer, streamed to stdout. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ChatRequest, ResponseFormat } from "../../engine/chat-generation.js";
import type { CliCommand } from "../command.js";
import { UsageError, numberFlag, parseCommandLine } from "../command.js";
import { ChatEventPrinter, formatStats } from "../chat-output.js";
import { DEFAULT_MODEL_DIR, defaultModelDir } from "../default-model.js";
import { readJsonFile } from "../json-input.js";
import { MODEL_FLAGS, MODEL_FLAGS_HELP, loadCliModel } from "../model-options.js";
import { SAMPLING_FLAGS, samplingFromFlags } from "../sampling-flags.js";
import { readToolsFile } from "../tool-file.js";

export const runCommand: CliCommand = {
  name: "run",
  summary: "answer one prompt, streamed (chat-formatted; --raw, or the bundled default model, for plain completion)",
  usage: `usage: gemma4 run [MODEL] PROMPT [options]

  MODEL                 a model folder, org/name[@rev] or hf:org/name (default: the bundled model)
  PROMPT                the prompt text; "-" reads it from stdin
  --raw                 plain completion of PROMPT, no chat format (what the bundled default model
                        does unless a chat option below is given: it is not instruction-tuned)
  --system TEXT         a system message
  --think               let the model think first (its thinking goes to stderr)
  --tools FILE          OpenAI-style tool definitions; calls are printed as JSON lines
  --json-schema FILE    answer with JSON matching this JSON Schema (constrained decoding; exit 3 if
                        --max-new-tokens cuts it before the JSON ends)
  --max-new-tokens N    default: until the model stops or the context is full
  --greedy | --temperature T --top-k K --top-p P --min-p M --seed S
                        default: the model's generation_config.json (greedy if it has none)
  --stats               print token counts and speed to stderr (always on a terminal)
${MODEL_FLAGS_HELP}`,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      ...MODEL_FLAGS,
      ...SAMPLING_FLAGS,
      raw: { type: "boolean" },
      system: { type: "string" },
      think: { type: "boolean" },
      tools: { type: "string" },
      "json-schema": { type: "string" },
      "max-new-tokens": { type: "string" },
      stats: { type: "boolean" },
    });
    const given = values.model !== undefined ? [values.model, ...positionals] : positionals;
    if (given.length === 0) throw new UsageError("missing PROMPT (usage: gemma4 run [MODEL] PROMPT)", "prompt");
    if (given.length > 2) throw new UsageError(`too many arguments: expected [MODEL] PROMPT, got ${given.length} (quote the prompt)`);
    const reference = given.length === 2 ? given[0]! : defaultModelDir();
    const promptArg = given.at(-1)!;
    const prompt = promptArg === "-" ? readFileSync(0, "utf8") : promptArg;
    const maxNewTokens = numberFlag("max-new-tokens", values["max-new-tokens"], { min: 1, integer: true });
    const tools = values.tools !== undefined ? readToolsFile(values.tools) : undefined;
    const responseFormat: ResponseFormat | undefined = values["json-schema"] !== undefined ? { type: "json_schema", schema: readJsonFile(values["json-schema"]) } : undefined;
    const chatOptions = tools !== undefined || responseFormat !== undefined || values.system !== undefined || values.think === true;
    if (values.raw && chatOptions) {
      throw new UsageError("--raw is a plain completion: it cannot be combined with --system, --think, --tools or --json-schema");
    }
    // The bundled default model is a plain language model (see its model card): a chat-formatted prompt
    // only pushes it off the text it was trained on, so it continues the prompt instead.
    const raw = values.raw === true || (!chatOptions && resolve(reference) === DEFAULT_MODEL_DIR);
    samplingFromFlags(values); // the flags are checked before the model loads (the model's defaults come after)
    const model = await loadCliModel(reference, values);
    const sampling = samplingFromFlags(values, model.generationDefaults);
    const abort = new AbortController();
    const onInterrupt = (): void => abort.abort();
    process.once("SIGINT", onInterrupt);
    const printer = new ChatEventPrinter(process.stdout, process.stderr);
    try {
      let usage = { promptTokens: 0, completionTokens: 0 };
      let incompleteJson = false;
      if (raw) {
        for await (const event of model.complete({ prompt, ...sampling, ...(maxNewTokens ? { maxNewTokens } : {}), signal: abort.signal })) {
          if (event.type === "text") printer.handle({ type: "content", text: event.text });
          else if (event.type === "token") printer.handle(event);
          else usage = event.usage;
        }
      } else {
        const request: ChatRequest = {
          messages: [...(values.system !== undefined ? [{ role: "system", content: values.system }] : []), { role: "user", content: prompt }],
          ...sampling,
          ...(maxNewTokens ? { maxNewTokens } : {}),
          ...(values.think ? { thinking: true } : {}),
          ...(tools ? { tools } : {}),
          ...(responseFormat ? { responseFormat } : {}),
          signal: abort.signal,
        };
        for await (const event of model.chat(request)) {
          printer.handle(event);
          if (event.type === "done") {
            usage = event.usage;
            // Constrained decoding guarantees valid JSON only if it may finish: say when the budget cut it.
            if (responseFormat && event.finishReason === "length") {
              process.stderr.write(`gemma4 run: the answer reached its token limit (${usage.completionTokens} tokens: --max-new-tokens or the context) before its JSON ended: the JSON is incomplete (exit 3)\n`);
              incompleteJson = true;
            }
          }
        }
      }
      const stats = printer.finish(usage);
      if (values.stats || process.stderr.isTTY) process.stderr.write(formatStats(stats) + "\n");
      return incompleteJson ? 3 : 0;
    } finally {
      process.off("SIGINT", onInterrupt);
      model.dispose();
    }
  },
};
