/**
 * `gemma4 perplexity MODEL (--data FILE | --prompt-ids 2,17,…) [--lora DIR]`: mean next-token
 * cross-entropy (nats/token) and perplexity exp(CE) of a model on text, JSONL or packed token data (cut
 * into sequences of --sequence-length tokens, every position a target once) or on one id sequence.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openExamples } from "../../train/data/example-source.js";
import { prepareTrainingData } from "../../train/data/prepare-training-data.js";
import { loadTextTokenizer } from "../../train/load-text-tokenizer.js";
import { loadTrainableModel } from "../../train/load-trainable-model.js";
import { nextTokenExample } from "../../train/trainable-model.js";
import { type CliCommand, idListFlag, modelOrDefault, numberFlag, parseCommandLine, UsageError } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { resolveModelFolder } from "../model-options.js";

export const perplexityCommand: CliCommand = {
  name: "perplexity",
  summary: "mean token cross-entropy and perplexity of a model on data",
  usage: [
    "usage: gemma4 perplexity MODEL (--data FILE | --prompt-ids IDS) [options]",
    "",
    "  --data FILE            .txt, .jsonl(.gz) ({\"text\"} or {\"messages\"}: model turns only) or packed .tokens",
    "  --prompt-ids IDS       one sequence of token ids, comma-separated",
    "  --lora DIR             evaluate with a PEFT LoRA adapter",
    "  --sequence-length N    tokens per evaluated sequence (default 256)",
    "  --max-sequences N      evaluate at most N sequences",
    "  --json                 print the result as JSON",
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      model: { type: "string" }, data: { type: "string" }, "prompt-ids": { type: "string" }, lora: { type: "string" },
      "sequence-length": { type: "string" }, "max-sequences": { type: "string" }, json: { type: "boolean" },
    });
    if ((values.data === undefined) === (values["prompt-ids"] === undefined)) throw new UsageError("give exactly one of --data FILE and --prompt-ids IDS", "data");
    const sequenceLength = numberFlag("sequence-length", values["sequence-length"], { min: 2, integer: true }) ?? 256;
    const maxSequences = numberFlag("max-sequences", values["max-sequences"], { min: 1, integer: true }) ?? Infinity;
    const { dir, config } = await resolveModelFolder(modelOrDefault(positionals, values.model, defaultModelDir), "perplexity");
    // A sequence of L inputs takes positions 0 … L−1 (its last token is only a target).
    if (values.data !== undefined && sequenceLength > config.maxPositions) throw new UsageError(`--sequence-length ${sequenceLength} is more than this model's ${config.maxPositions} positions`, "sequence-length");
    const model = loadTrainableModel(dir, values.lora ?? null);
    let sum = 0;
    let tokens = 0;
    if (values["prompt-ids"] !== undefined) {
      const ids = idListFlag("prompt-ids", values["prompt-ids"]);
      if (ids.length - 1 > config.maxPositions) throw new UsageError(`--prompt-ids: ${ids.length} ids need ${ids.length - 1} positions, more than this model's ${config.maxPositions}`, "prompt-ids");
      const r = model.evaluate([nextTokenExample(ids)]);
      sum = r.sum;
      tokens = r.tokens;
    } else {
      const scratch = mkdtempSync(join(tmpdir(), "gemma4-perplexity-"));
      try {
        const prepared = values.data!.endsWith(".tokens") ? values.data! : (await prepareTrainingData(values.data!, join(scratch, "data.tokens"), await loadTextTokenizer(dir))).path;
        const examples = openExamples({ path: prepared, sequenceLength });
        try {
          const n = Math.min(examples.numExamples, maxSequences);
          if (n === 0) throw new UsageError(`${values.data}: fewer than ${sequenceLength + 1} tokens; lower --sequence-length`, "data");
          for (let start = 0; start < n; start += 4) {
            const batch = [];
            for (let i = start; i < Math.min(n, start + 4); i++) batch.push(examples.example(i));
            const r = model.evaluate(batch, batch.length);
            sum += r.sum;
            tokens += r.tokens;
            if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${Math.min(n, start + 4)}/${n} sequences, cross-entropy so far ${(sum / tokens).toFixed(4)}`);
          }
          if (process.stderr.isTTY) process.stderr.write("\n");
        } finally {
          examples.close();
        }
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }
    const crossEntropy = sum / Math.max(1, tokens);
    const result = { crossEntropy, perplexity: Math.exp(crossEntropy), tokens, bitsPerToken: crossEntropy / Math.LN2 };
    if (values.json) console.log(JSON.stringify(result));
    else console.log(`cross-entropy ${crossEntropy.toFixed(4)} nats/token (${result.bitsPerToken.toFixed(3)} bits) over ${tokens} tokens; perplexity ${result.perplexity.toFixed(3)}`);
  },
};
