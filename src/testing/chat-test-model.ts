/** A random-weight Gemma 4 model with the default model's tokenizer and chat template, for text-path tests. */
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tinyGemma4Config, writeRandomCheckpoint } from "../model/random-checkpoint.js";
import { PACKAGE_ROOT } from "./fixtures.js";

export const DEFAULT_MODEL_DIR = join(PACKAGE_ROOT, "models", "default");
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"];

/** Writes the model into `dir` (once) and returns `dir`. */
export function writeChatTestModel(dir: string, seed = 5): string {
  if (!existsSync(join(dir, "model.safetensors"))) {
    writeRandomCheckpoint(dir, tinyGemma4Config({ vocab_size: 4096, eos_token_id: [1, 5] }), { seed, weightScale: 0.2 });
    for (const f of TOKENIZER_FILES) copyFileSync(join(DEFAULT_MODEL_DIR, f), join(dir, f));
  }
  return dir;
}
