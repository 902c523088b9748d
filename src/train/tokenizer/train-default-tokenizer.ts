/**
 * Trains the default model's tokenizer on the training split of its corpus and writes `tokenizer.json`
 * and `tokenizer_config.json` into the model folder. Only the training split is read, so validation
 * text stays unseen by every part of the model, the tokenizer included.
 */
import { writeJsonAtomic } from "../../formats/atomic-write.js";
import { join } from "node:path";
import { readJsonlDocuments } from "../data/jsonl-documents.js";
import type { TrainedBpe } from "./bpe-trainer.js";
import { trainBpe } from "./bpe-trainer.js";
import { GEMMA4_RESERVED_TOKENS, METASPACE } from "./special-tokens.js";
import { buildTokenizerConfig, buildTokenizerJson } from "./tokenizer-files.js";
import { countTrainingPieces } from "./training-pieces.js";

/**
 * 4096 entries: 16 reserved + 256 bytes + ~90 characters + ~3,700 merges. Chosen for a model of a few
 * million parameters trained on a 2-core CPU; the measurements behind it are in models/default/DATA.md.
 */
export const DEFAULT_VOCAB_SIZE = 4096;

/** Printable ASCII (space as "▁"), newline and tab: always single tokens, never byte fallback. */
export const DEFAULT_REQUIRED_CHARS = METASPACE + "\n\t" + Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join("");

export interface TrainTokenizerOptions {
  readonly trainFile: string;
  /** Folder for tokenizer.json and tokenizer_config.json; null writes nothing. */
  readonly outDir: string | null;
  readonly vocabSize?: number;
  readonly minCharCount?: number;
  readonly modelMaxLength?: number;
}

export interface TrainTokenizerResult {
  readonly trained: TrainedBpe;
  readonly tokenizerJson: Record<string, unknown>;
  readonly numPieces: number;
  readonly seconds: number;
}

export async function trainDefaultTokenizer(options: TrainTokenizerOptions): Promise<TrainTokenizerResult> {
  const start = performance.now();
  const counts = new Map<string, number>();
  for await (const doc of readJsonlDocuments(options.trainFile)) countTrainingPieces(doc.text, counts);
  const trained = trainBpe(counts, {
    vocabSize: options.vocabSize ?? DEFAULT_VOCAB_SIZE,
    reservedTokens: GEMMA4_RESERVED_TOKENS,
    minCharCount: options.minCharCount ?? 25,
    requiredChars: DEFAULT_REQUIRED_CHARS,
  });
  const tokenizerJson = buildTokenizerJson(trained);
  if (options.outDir !== null) {
    writeJsonAtomic(join(options.outDir, "tokenizer.json"), tokenizerJson);
    writeJsonAtomic(join(options.outDir, "tokenizer_config.json"), buildTokenizerConfig({ modelMaxLength: options.modelMaxLength ?? 2048 }));
  }
  return { trained, tokenizerJson, numPieces: counts.size, seconds: (performance.now() - start) / 1000 };
}
