/**
 * Reads the tokenizer files of a Hugging Face model folder: `tokenizer.json` (required),
 * `tokenizer_config.json`, `special_tokens_map.json`, and the chat template, which transformers looks for
 * in `chat_template.jinja`, then `chat_template.json`, then `chat_template` in `tokenizer_config.json`
 * (a string, or a list of `{name, template}`), plus named extras in `additional_chat_templates/*.jinja`.
 * Everything is parsed here, once; a missing or broken file is a one-line BadPathError / BadFileError.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { BadFileError, BadPathError } from "../errors.js";

export type JsonRecord = { [key: string]: unknown };

/** One chat template and where it came from (for error messages). */
export interface ChatTemplateSource {
  readonly name: string;
  readonly text: string;
  readonly path: string;
}

export interface TokenizerFiles {
  /** The folder (or a label for in-memory files). */
  readonly dir: string;
  readonly tokenizerJson: JsonRecord;
  /** tokenizer_config.json merged over special_tokens_map.json (the config wins, as in transformers). */
  readonly tokenizerConfig: JsonRecord;
  /** Chat templates by name; the unnamed one is "default". Empty when the folder ships none. */
  readonly chatTemplates: ReadonlyMap<string, ChatTemplateSource>;
}

/** Where the files of a model folder come from: the disk (Node) or a web server (a page). */
export interface FolderFiles {
  /** A file's text, or null when the folder has no such file. */
  read(name: string): Promise<string | null>;
  /** The names in a sub-folder ([] when absent); absent where a folder cannot be listed (HTTP). */
  list?(folder: string): Promise<string[]>;
  /** A file's path or URL, for messages. */
  pathOf(name: string): string;
}

export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const info = await stat(dir).catch((e: unknown) => {
    throw new BadPathError(dir, "does not exist or cannot be read", { cause: e });
  });
  if (!info.isDirectory()) throw new BadPathError(dir, "is not a folder (expected a model folder holding tokenizer.json)");
  return tokenizerFilesFrom(dir, {
    read: (name) => readOptional(join(dir, name)),
    list: (folder) => readdir(join(dir, folder)).catch(() => [] as string[]),
    pathOf: (name) => join(dir, name),
  });
}

/** The tokenizer files of a folder, read through `files` (see `readTokenizerFiles` for what is looked for). */
export async function tokenizerFilesFrom(dir: string, files: FolderFiles): Promise<TokenizerFiles> {
  const tokenizerPath = files.pathOf("tokenizer.json");
  const tokenizerText = await files.read("tokenizer.json");
  if (tokenizerText === null) throw new BadPathError(tokenizerPath, "is missing (a model folder needs tokenizer.json to tokenize)");
  const tokenizerJson = parseObject(tokenizerPath, tokenizerText);

  const configPath = files.pathOf("tokenizer_config.json");
  const configText = await files.read("tokenizer_config.json");
  const config = configText === null ? {} : parseObject(configPath, configText);
  const mapText = await files.read("special_tokens_map.json");
  const specialMap = mapText === null ? {} : parseObject(files.pathOf("special_tokens_map.json"), mapText);

  const templates = new Map<string, ChatTemplateSource>();
  addConfigTemplates(templates, configPath, config["chat_template"]);
  const jsonTemplatePath = files.pathOf("chat_template.json");
  const jsonTemplateText = await files.read("chat_template.json");
  if (jsonTemplateText !== null) addConfigTemplates(templates, jsonTemplatePath, parseObject(jsonTemplatePath, jsonTemplateText)["chat_template"]);
  const jinjaText = await files.read("chat_template.jinja");
  if (jinjaText !== null) templates.set("default", { name: "default", text: jinjaText, path: files.pathOf("chat_template.jinja") });
  for (const file of await files.list?.("additional_chat_templates") ?? []) {
    if (!file.endsWith(".jinja")) continue;
    const name = `additional_chat_templates/${file}`;
    const text = await files.read(name);
    if (text !== null) templates.set(file.slice(0, -".jinja".length), { name: file.slice(0, -".jinja".length), text, path: files.pathOf(name) });
  }

  const { chat_template: _ignored, ...configRest } = config;
  return { dir, tokenizerJson, tokenizerConfig: { ...specialMap, ...configRest }, chatTemplates: templates };
}

function addConfigTemplates(into: Map<string, ChatTemplateSource>, path: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value === "string") {
    into.set("default", { name: "default", text: value, path });
    return;
  }
  if (!Array.isArray(value)) throw new BadFileError(path, "chat_template must be a string or a list of {name, template}");
  for (const [i, entry] of value.entries()) {
    const e = entry as Partial<Record<string, unknown>> | null;
    if (typeof e !== "object" || e === null || typeof e["name"] !== "string" || typeof e["template"] !== "string") {
      throw new BadFileError(path, `chat_template[${i}] must be an object with string "name" and "template"`);
    }
    into.set(e["name"], { name: e["name"], text: e["template"], path });
  }
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new BadPathError(path, `cannot be read (${code ?? (e as Error).message})`, { cause: e });
  }
}

function parseObject(path: string, text: string): JsonRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BadFileError(path, `is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new BadFileError(path, "is not a JSON object");
  return json as JsonRecord;
}
