/**
 * The tokenizer training data is prepared with: the model folder's tokenizer.json through the fast
 * Gemma-style BPE encoder (byte-fallback BPE, the kind this project trains). Other tokenizer kinds are
 * refused with a typed error until the general tokenizer module handles data preparation.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BadPathError } from "../errors.js";
import type { TextTokenizer } from "./data/prepare-training-data.js";
import { BpeEncoder } from "./tokenizer/bpe-encoder.js";

export function loadTextTokenizer(dir: string): TextTokenizer {
  const path = join(dir, "tokenizer.json");
  if (!existsSync(path)) throw new BadPathError(dir, "has no tokenizer.json (needed to tokenize text data; or pass packed .tokens data)");
  return BpeEncoder.fromTokenizerJson(JSON.parse(readFileSync(path, "utf8")) as unknown, path);
}
