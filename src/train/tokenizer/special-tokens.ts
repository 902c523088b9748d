/**
 * The reserved tokens of a Gemma-style vocabulary trained by this project, in id order.
 *
 * Ids 0–3 are Gemma's (`<pad>`, `<eos>`, `<bos>`, `<unk>`); the Gemma 4 chat and control tokens follow so
 * that the Gemma 4 chat template and tool-call format work unchanged. Their ids differ from Google's
 * 262k vocabulary (105/106 for the turn tokens): code must look them up by text, never by number.
 */
export const GEMMA_BASE_SPECIAL_TOKENS = ["<pad>", "<eos>", "<bos>", "<unk>"] as const;

/** Gemma 4 control tokens (spec §4.12): openers are `<|name>`, closers `<name|>`. */
export const GEMMA4_CONTROL_TOKENS = [
  "<|turn>",
  "<turn|>",
  "<|think|>",
  "<|channel>",
  "<channel|>",
  "<|tool>",
  "<tool|>",
  "<|tool_call>",
  "<tool_call|>",
  "<|tool_response>",
  "<tool_response|>",
  '<|"|>',
] as const;

/** Every reserved token, in id order (pad = 0, eos = 1, bos = 2, unk = 3, then the control tokens). */
export const GEMMA4_RESERVED_TOKENS: readonly string[] = [...GEMMA_BASE_SPECIAL_TOKENS, ...GEMMA4_CONTROL_TOKENS];

/** SentencePiece's meta symbol for a space (U+2581), written in place of " " by the normaliser. */
export const METASPACE = "\u2581";

/** The byte-fallback token for one byte: `<0x41>` for 65 (upper-case hex, two digits, as SentencePiece). */
export function byteToken(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}
