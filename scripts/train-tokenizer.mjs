#!/usr/bin/env node
// Trains the default model's tokenizer on data/default-corpus/train.jsonl.gz and writes
// models/default/tokenizer.json and tokenizer_config.json. Usage: npm run build && node scripts/train-tokenizer.mjs
import { trainDefaultTokenizer } from "../dist/train/tokenizer/train-default-tokenizer.js";

const result = await trainDefaultTokenizer({ trainFile: "data/default-corpus/train.jsonl.gz", outDir: "models/default" });
const { tokens, merges, numBaseTokens } = result.trained;
console.log(`${tokens.length} tokens (${numBaseTokens} reserved/byte/character tokens, ${merges.length} merges) from ${result.numPieces} distinct pieces in ${result.seconds.toFixed(1)} s`);
