/**
 * `gemma4 convert MODEL --to gguf [--quant MIX] [--out FILE]`: a Hugging Face model folder → a GGUF file in
 * llama.cpp's layout (tokenizer included when the folder has tokenizer.json), written to a temporary name and
 * renamed when complete.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { BadFileError } from "../../errors.js";
import { convertToGguf } from "../../formats/gguf/convert-to-gguf.js";
import { isQuantMix, QUANT_MIXES, type QuantMix } from "../../formats/gguf/gguf-quant-plan.js";
import { SafetensorsCheckpoint } from "../../formats/safetensors-checkpoint.js";
import { modelOrDefault, parseCommandLine, UsageError, type CliCommand } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { resolveModelFolder } from "../model-options.js";
import { checkWritable } from "../../formats/atomic-write.js";

export function quantMixFlag(value: string | undefined, fallback: QuantMix): QuantMix {
  if (value === undefined) return fallback;
  const upper = value.toUpperCase();
  if (!isQuantMix(upper)) throw new UsageError(`--quant must be one of ${QUANT_MIXES.join(", ")}, not ${JSON.stringify(value)}`, "quant");
  return upper;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new BadFileError(path, `not valid JSON (${(e as Error).message.split("\n")[0]})`, { cause: e });
  }
}

/** The chat template a model folder carries (chat_template.jinja or tokenizer_config.json), if any. */
function chatTemplateOf(dir: string): string | null {
  const jinja = join(dir, "chat_template.jinja");
  if (existsSync(jinja)) return readFileSync(jinja, "utf8");
  const configPath = join(dir, "tokenizer_config.json");
  if (!existsSync(configPath)) return null;
  const config = readJson(configPath) as { chat_template?: unknown } | null;
  return typeof config?.chat_template === "string" ? config.chat_template : null;
}

export const convertCommand: CliCommand = {
  name: "convert",
  summary: "convert a Hugging Face model folder to a GGUF file (optionally quantized)",
  usage: [
    "usage: gemma4 convert MODEL --to gguf [--quant MIX] [--out FILE]",
    "",
    "  MODEL          a Hugging Face model folder (config.json, *.safetensors, tokenizer.json)",
    "  --to gguf      the output format (only gguf)",
    `  --quant MIX    ${QUANT_MIXES.join(" | ")} (default F16); mixes follow llama-quantize`,
    "  --out FILE     output path (default: MODEL-MIX.gguf next to the folder)",
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      model: { type: "string" }, to: { type: "string" }, quant: { type: "string" }, out: { type: "string" },
    });
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    if (values.to === undefined) throw new UsageError("missing --to (the only format is gguf)", "to");
    if (values.to.toLowerCase() !== "gguf") throw new UsageError(`--to must be gguf, not ${JSON.stringify(values.to)}`, "to");
    const mix = quantMixFlag(values.quant, "F16");
    const { dir, config } = await resolveModelFolder(modelOrDefault(positionals, values.model, defaultModelDir), "convert");
    const out = values.out ?? join(dirname(resolve(dir)), `${basename(resolve(dir))}-${mix}.gguf`);
    checkWritable(out);
    const tokenizerPath = join(dir, "tokenizer.json");
    const tokenizerJson = existsSync(tokenizerPath) ? readJson(tokenizerPath) : null;
    const checkpoint = SafetensorsCheckpoint.open(dir);
    try {
      const started = Date.now();
      const tensors = convertToGguf(config, checkpoint, out, {
        mix, name: basename(resolve(dir)), tokenizerJson, chatTemplate: chatTemplateOf(dir),
        ...(process.stderr.isTTY ? { onProgress: (p: { done: number; total: number; name: string; type: string }) => process.stderr.write(`\r[${p.done}/${p.total}] ${p.name} → ${p.type}`.padEnd(72)) } : {}),
      });
      if (process.stderr.isTTY) process.stderr.write("\n");
      const counts = new Map<string, number>();
      for (const t of tensors) counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
      console.log(`wrote ${out} (${mix}, ${statSync(out).size} bytes, ${tensors.length} tensors: ${[...counts].map(([t, n]) => `${n} ${t}`).join(", ")}${tokenizerJson ? ", with tokenizer" : ", no tokenizer.json"}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      checkpoint.close();
    }
  },
};
