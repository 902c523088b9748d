/**
 * The tokenizer training data is prepared with, from a model folder's tokenizer.json: the fast Gemma-style
 * BPE encoder (byte-fallback BPE, the kind this project trains; same ids as @huggingface/tokenizers) when
 * the file is of that kind, else the general Tokenizer (any tokenizer.json, e.g. Google's Gemma files).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BadPathError, UnsupportedError } from "../errors.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import type { TextTokenizer } from "./data/prepare-training-data.js";
import { BpeEncoder } from "./tokenizer/bpe-encoder.js";

export async function loadTextTokenizer(dir: string): Promise<TextTokenizer> {
  const path = join(dir, "tokenizer.json");
  if (!existsSync(path)) throw new BadPathError(dir, "has no tokenizer.json (needed to tokenize text data; or pass packed .tokens data)");
  try {
    return BpeEncoder.fromTokenizerJson(JSON.parse(readFileSync(path, "utf8")) as unknown, path);
  } catch (e) {
    if (!(e instanceof UnsupportedError)) throw e;
  }
  const tokenizer = await Tokenizer.load(dir);
  return {
    vocabSize: tokenizer.vocabSize,
    encode: (text) => Array.from(tokenizer.encode(text)),
    tokenToId: (token) => tokenizer.tokenToId(token) ?? undefined,
  };
}
