/**
 * A test model that behaves like a real chat model on the outside: the default model's architecture and
 * tokenizer (models/default: tokenizer.json, chat template) with random weights. Its output is nonsense,
 * but every code path — tokenizing, templates, batching, streaming — runs for real.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tinyGemma4Config, writeRandomCheckpoint } from "../model/random-checkpoint.js";
import { DEFAULT_MODEL_DIR } from "./chat-test-model.js";
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json"];

export interface RandomDefaultModelOptions {
  /** max_position_embeddings (default 1024: small KV caches, quick over-long-prompt tests). */
  readonly maxPositions?: number;
  readonly seed?: number;
  /** Copy the tokenizer files (default true). */
  readonly tokenizer?: boolean;
  readonly dtype?: "f32" | "bf16";
  /** "default": the default model's architecture (hidden 128, 4 layers); "tiny": hidden 64, for fast tests. */
  readonly size?: "default" | "tiny";
  /** config.json fields to change (e.g. a wider model for a benchmark). */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

/** Writes the folder into a new temporary directory and returns its path. */
export function writeRandomDefaultModel(options: RandomDefaultModelOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "gemma4-test-model-"));
  const config = options.size === "tiny"
    ? tinyGemma4Config({ vocab_size: 4096, eos_token_id: [1, 5] })
    : JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, "config.json"), "utf8")) as Record<string, unknown>;
  Object.assign(config, options.overrides ?? {});
  config["max_position_embeddings"] = options.maxPositions ?? 1024;
  writeRandomCheckpoint(dir, config, { seed: options.seed ?? 1, dtype: options.dtype ?? "f32" });
  if (options.tokenizer ?? true) {
    for (const name of TOKENIZER_FILES) {
      if (existsSync(join(DEFAULT_MODEL_DIR, name))) copyFileSync(join(DEFAULT_MODEL_DIR, name), join(dir, name));
    }
  }
  return dir;
}
