/**
 * Splits normalised text into the pieces BPE training counts, the way SentencePiece's trainer splits
 * Gemma's training text (split_by_whitespace, split_by_number, split_digits, split_by_unicode_script,
 * allow_whitespace_only_pieces, treat_whitespace_as_suffix = false; spec §8):
 *
 * - a run of newlines is one piece ("\n\n" may become a token);
 * - each digit is a piece of its own, so no token ever holds two digits or a digit and anything else;
 * - a run of letters (with combining marks) or a run of other symbols is a piece, carrying the one "▁"
 *   that precedes it ("▁whale", "▁(", but never "whale," or "n't");
 * - the other "▁"s of a run of spaces form a whitespace-only piece.
 *
 * These rules only shape which merges are learned. Encoding (ours and `@huggingface/tokenizers`) applies
 * the merges to the whole normalised text, as SentencePiece does; no learned token crosses these borders.
 */
import { METASPACE } from "./special-tokens.js";

const PIECE = /\n+|\p{Nd}|\u2581?[\p{L}\p{M}]+|\u2581?[^\p{L}\p{M}\p{Nd}\u2581\n]+|\u2581+(?=\u2581[^\u2581\n\p{Nd}])|\u2581+/gu;

/** Applies the tokenizer's normaliser (" " → "▁", nothing else: no dummy prefix, no NFKC). */
export function toMetaspace(text: string): string {
  return text.replaceAll(" ", METASPACE);
}

/** The training pieces of one text (already through `toMetaspace`). Concatenated they give the text back. */
export function splitTrainingPieces(normalized: string): string[] {
  return normalized.match(PIECE) ?? [];
}

/** Adds the pieces of `text` (raw, not yet normalised) to `counts`. */
export function countTrainingPieces(text: string, counts: Map<string, number>): void {
  for (const piece of splitTrainingPieces(toMetaspace(text))) counts.set(piece, (counts.get(piece) ?? 0) + 1);
}
