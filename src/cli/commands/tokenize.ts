/**
 * `gemma4 tokenize MODEL (TEXT | --file TEXTS.jsonl)`: the ids and pieces of a text, or with --detokenize the
 * text of ids. Needs only the tokenizer files of the folder, no weights.
 */
import { statSync } from "node:fs";
import { BadFileError } from "../../errors.js";
import type { CliCommand } from "../command.js";
import { parseCommandLine, UsageError } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { readJsonlFile } from "../json-input.js";
import { loadCliTokenizer } from "../model-options.js";

type Format = "text" | "json" | "jsonl";

interface Encoded {
  readonly text: string;
  readonly ids: number[];
  readonly pieces: readonly string[];
}
interface Decoded {
  readonly ids: number[];
  readonly text: string;
}

export const tokenizeCommand: CliCommand = {
  name: "tokenize",
  summary: "show a text's token ids and pieces (or the text of ids); needs only tokenizer files",
  usage: `usage: gemma4 tokenize [MODEL] (TEXT | --file TEXTS.jsonl) [--special] [--format text|json|jsonl] [--detokenize]

  MODEL         a model folder holding tokenizer.json (no weights needed), a .gguf file, or a cached Hub model org/name;
                --model also accepted; without it, the bundled default model
  TEXT          the text to encode; with --detokenize, token ids ("2,9259,107" or "[2, 9259, 107]")
  --file PATH   JSON Lines, one input a line: a string or {"text": …}; with --detokenize a list of ids or {"ids": […]}
  --special     encoding: add the tokenizer's special tokens (Gemma 1-3: <bos>; Gemma 4 adds none)
                decoding: keep special tokens (<bos>, <turn|>, …) in the text (default: leave them out)
  --format F    text (default: id and piece per line), json (one document), jsonl (one object per input)
  --detokenize  turn ids into text instead`,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      model: { type: "string" },
      file: { type: "string" },
      special: { type: "boolean" },
      format: { type: "string" },
      detokenize: { type: "boolean" },
    });
    // MODEL TEXT, or TEXT alone (the bundled default model, or --model); with --file, the one positional is MODEL.
    const modelFirst = values.model === undefined && (positionals.length >= 2 || (positionals.length === 1 && values.file !== undefined));
    const model = values.model ?? (modelFirst ? positionals[0]! : defaultModelDir());
    const rest = modelFirst ? positionals.slice(1) : positionals;
    if (!modelFirst && values.model === undefined && rest.length === 1 && values.file === undefined && looksLikeModel(rest[0]!)) {
      throw new UsageError(`${rest[0]} is a model, but no TEXT was given (tokenize MODEL TEXT, or TEXT alone for the default model)`, "text");
    }
    if (rest.length > 1) throw new UsageError(`give one TEXT (quote it), not ${rest.length} arguments`, "text");
    if ((rest.length === 1) === (values.file !== undefined)) throw new UsageError("give either TEXT or --file TEXTS.jsonl", "text");
    const format = (values.format ?? "text") as Format;
    if (!["text", "json", "jsonl"].includes(format)) throw new UsageError(`--format must be text, json or jsonl, not ${JSON.stringify(values.format)}`, "format");
    const special = values.special ?? false;

    const tokenizer = await loadCliTokenizer(model);
    const single = rest.length === 1;
    const results: (Encoded | Decoded)[] = [];
    if (values.detokenize) {
      const inputs = single ? [parseIds(rest[0]!, "TEXT")] : readJsonlFile(values.file!).map(({ line, value }) => idsOf(value, values.file!, line));
      for (const ids of inputs) results.push({ ids, text: tokenizer.decode(ids, { skipSpecialTokens: !special }) });
    } else {
      const inputs = single ? [rest[0]!] : readJsonlFile(values.file!).map(({ line, value }) => textOf(value, values.file!, line));
      for (const text of inputs) {
        const { ids, pieces } = tokenizer.encodeWithPieces(text, { addSpecialTokens: special });
        results.push({ text, ids: [...ids], pieces });
      }
    }
    process.stdout.write(render(results, format, single));
  },
};

function render(results: readonly (Encoded | Decoded)[], format: Format, single: boolean): string {
  if (format === "json") return JSON.stringify(single ? results[0] : results) + "\n";
  if (format === "jsonl") return results.map((r) => JSON.stringify(r)).join("\n") + "\n";
  return results.map((r) => ("pieces" in r ? table(r) : r.text)).join(single ? "" : "\n\n") + "\n";
}

function table(r: Encoded): string {
  const width = Math.max(1, ...r.ids.map((id) => String(id).length));
  const rows = r.ids.map((id, i) => `${String(id).padStart(width)}  ${JSON.stringify(r.pieces[i])}`);
  return [`${r.ids.length} token${r.ids.length === 1 ? "" : "s"}`, ...rows].join("\n");
}

function textOf(value: unknown, path: string, line: number): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as { text?: unknown }).text === "string") return (value as { text: string }).text;
  throw new BadFileError(path, `line ${line} must be a JSON string or an object with a string "text"`);
}

function idsOf(value: unknown, path: string, line: number): number[] {
  const list = Array.isArray(value) ? value : typeof value === "object" && value !== null ? (value as { ids?: unknown }).ids : undefined;
  if (!Array.isArray(list) || !list.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) {
    throw new BadFileError(path, `line ${line} must be a list of token ids or an object with "ids"`);
  }
  return list as number[];
}

/** "2,9259,107", "2 9259 107" or "[2, 9259, 107]". */
function parseIds(text: string, field: string): number[] {
  const parts = text.replace(/^\s*\[|\]\s*$/g, "").split(/[\s,]+/).filter((p) => p !== "");
  if (parts.length === 0) throw new UsageError(`${field}: no token ids in ${JSON.stringify(text)}`, "text");
  return parts.map((p) => {
    if (!/^\d+$/.test(p) || !Number.isSafeInteger(Number(p))) throw new UsageError(`${field}: ${JSON.stringify(p)} is not a token id`, "text");
    return Number(p);
  });
}

/** A lone argument that names a model (a folder, a .gguf file, hf:org/name) rather than text to tokenize. */
function looksLikeModel(arg: string): boolean {
  if (/^hf:/.test(arg)) return true;
  try {
    return statSync(arg).isDirectory() || /\.gguf$/i.test(arg);
  } catch {
    return false;
  }
}
