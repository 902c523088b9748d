/**
 * The control tokens a Gemma tokenizer carries, found by their text (never by hard-coded ids: the Gemma 3
 * and Gemma 4 vocabularies put different tokens at the same ids, gemma-architecture.md §4.12, §5, §9.22).
 */
import type { JsonRecord } from "./tokenizer-files.js";

/** Which turn markers the vocabulary has: Gemma 4 `<|turn>`/`<turn|>`, Gemma 1–3 `<start_of_turn>`/`<end_of_turn>`. */
export type TurnStyle = "gemma4" | "gemma3" | "none";

/** The text of each Gemma 4 control token (openers `<|name>`, closers `<name|>`). */
export const GEMMA4_MARKERS = {
  turnStart: "<|turn>",
  turnEnd: "<turn|>",
  toolStart: "<|tool>",
  toolEnd: "<tool|>",
  toolCallStart: "<|tool_call>",
  toolCallEnd: "<tool_call|>",
  toolResponseStart: "<|tool_response>",
  toolResponseEnd: "<tool_response|>",
  stringDelimiter: '<|"|>',
  think: "<|think|>",
  channelStart: "<|channel>",
  channelEnd: "<channel|>",
} as const;

export const GEMMA3_MARKERS = { turnStart: "<start_of_turn>", turnEnd: "<end_of_turn>" } as const;

export interface SpecialTokens {
  readonly turnStyle: TurnStyle;
  /** The texts of bos/eos/pad/unk as tokenizer_config.json names them (what a chat template receives). */
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  readonly unkToken: string | null;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly pad: number | null;
  readonly unk: number | null;
  /** `<eos>` itself (tokenizer configs of the instruction models name `<end_of_turn>` as eos_token). */
  readonly endOfText: number | null;
  readonly turnStart: number | null;
  readonly turnEnd: number | null;
  /** Gemma 4 only (null elsewhere). */
  readonly toolStart: number | null;
  readonly toolEnd: number | null;
  readonly toolCallStart: number | null;
  readonly toolCallEnd: number | null;
  readonly toolResponseStart: number | null;
  readonly toolResponseEnd: number | null;
  readonly stringDelimiter: number | null;
  readonly think: number | null;
  readonly channelStart: number | null;
  readonly channelEnd: number | null;
  /**
   * Tokens that end an answer when generation_config.json is not at hand: eos, `<eos>`, end of turn and,
   * for Gemma 4, `<|tool_response>` (the converted generation_config lists [1, 106, 50]).
   */
  readonly stopTokenIds: readonly number[];
}

/** The text of a token field of tokenizer_config.json: a string or an AddedToken object `{content: …}`. */
export function tokenText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as { content?: unknown }).content === "string") return (value as { content: string }).content;
  return null;
}

export function findSpecialTokens(config: JsonRecord, tokenToId: (token: string) => number | null): SpecialTokens {
  const idOf = (text: string | null): number | null => (text === null ? null : tokenToId(text));
  const bosToken = tokenText(config["bos_token"]) ?? (tokenToId("<bos>") !== null ? "<bos>" : null);
  const eosToken = tokenText(config["eos_token"]) ?? (tokenToId("<eos>") !== null ? "<eos>" : null);
  const padToken = tokenText(config["pad_token"]);
  const unkToken = tokenText(config["unk_token"]);
  const g4 = GEMMA4_MARKERS;
  const gemma4 = idOf(g4.turnStart) !== null && idOf(g4.turnEnd) !== null;
  const gemma3 = !gemma4 && idOf(GEMMA3_MARKERS.turnStart) !== null && idOf(GEMMA3_MARKERS.turnEnd) !== null;
  const only4 = (text: string): number | null => (gemma4 ? idOf(text) : null);
  const tokens = {
    turnStyle: gemma4 ? "gemma4" : gemma3 ? "gemma3" : "none",
    bosToken,
    eosToken,
    padToken,
    unkToken,
    bos: idOf(bosToken),
    eos: idOf(eosToken),
    pad: idOf(padToken),
    unk: idOf(unkToken),
    endOfText: idOf("<eos>"),
    turnStart: gemma4 ? idOf(g4.turnStart) : gemma3 ? idOf(GEMMA3_MARKERS.turnStart) : null,
    turnEnd: gemma4 ? idOf(g4.turnEnd) : gemma3 ? idOf(GEMMA3_MARKERS.turnEnd) : null,
    toolStart: only4(g4.toolStart),
    toolEnd: only4(g4.toolEnd),
    toolCallStart: only4(g4.toolCallStart),
    toolCallEnd: only4(g4.toolCallEnd),
    toolResponseStart: only4(g4.toolResponseStart),
    toolResponseEnd: only4(g4.toolResponseEnd),
    stringDelimiter: only4(g4.stringDelimiter),
    think: only4(g4.think),
    channelStart: only4(g4.channelStart),
    channelEnd: only4(g4.channelEnd),
  } as const;
  const stops = [tokens.eos, tokens.endOfText, tokens.turnEnd, tokens.toolResponseStart].filter((id): id is number => id !== null);
  return { ...tokens, stopTokenIds: [...new Set(stops)] };
}
