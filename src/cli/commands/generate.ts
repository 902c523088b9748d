/** `gemma4 generate MODEL --prompt-ids …`: token ids in, token ids out (works without a tokenizer). */
import type { CliCommand } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { UsageError, idListFlag, modelOrDefault, numberFlag, parseCommandLine } from "../command.js";
import { MODEL_FLAGS, MODEL_FLAGS_HELP, loadCliModel } from "../model-options.js";
import { SAMPLING_FLAGS, samplingFromFlags } from "../sampling-flags.js";

export const generateCommand: CliCommand = {
  name: "generate",
  summary: "generate token ids from prompt token ids (greedy or sampled)",
  usage: `usage: gemma4 generate MODEL --prompt-ids 2,17,… [--max-new-tokens N]
                      [--greedy | --temperature T --top-k K --top-p P --min-p M --seed S]
                      [--stop-ids 1,106] [--format ids|jsonl] [model flags]

  Greedy unless --temperature > 0. Stops at the model's eos ids (generation_config.json) or --stop-ids.
  --format ids    the new ids, comma-separated, on one line (default)
  --format jsonl  one {"id","logprob"} object per token, then {"finish_reason","tokens"}
${MODEL_FLAGS_HELP}`,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      ...MODEL_FLAGS,
      ...SAMPLING_FLAGS,
      "prompt-ids": { type: "string" },
      "max-new-tokens": { type: "string" },
      "stop-ids": { type: "string" },
      format: { type: "string" },
    });
    const reference = modelOrDefault(positionals, values.model, defaultModelDir);
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    if (values["prompt-ids"] === undefined) throw new UsageError("--prompt-ids is required (e.g. --prompt-ids 2,17,9)", "prompt-ids");
    const prompt = idListFlag("prompt-ids", values["prompt-ids"]);
    const maxNewTokens = numberFlag("max-new-tokens", values["max-new-tokens"], { min: 0, integer: true }) ?? 32;
    const stopTokenIds = values["stop-ids"] !== undefined ? Array.from(idListFlag("stop-ids", values["stop-ids"])) : undefined;
    const format = values.format ?? "ids";
    if (format !== "ids" && format !== "jsonl") throw new UsageError(`--format must be ids or jsonl, not ${JSON.stringify(format)}`, "format");
    const sampling = samplingFromFlags(values);
    const model = await loadCliModel(reference, values);
    try {
      const ids: number[] = [];
      let finish = "length";
      for await (const token of model.stream(prompt, { ...sampling, maxNewTokens, ...(stopTokenIds ? { stopTokenIds } : {}) })) {
        ids.push(token.id);
        if (token.finishReason) finish = token.finishReason;
        if (format === "jsonl") process.stdout.write(JSON.stringify({ id: token.id, logprob: token.logprob }) + "\n");
      }
      if (format === "jsonl") process.stdout.write(JSON.stringify({ finish_reason: finish, tokens: ids.length }) + "\n");
      else process.stdout.write(ids.join(",") + "\n");
    } finally {
      model.dispose();
    }
  },
};
