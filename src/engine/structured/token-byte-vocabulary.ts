/**
 * What a constraint needs to know about a vocabulary: the bytes each token contributes to the text.
 * Kept independent of the tokenizer module so the constraint can be built and tested on its own; the
 * helper below builds one from a Hugging Face tokenizer.json of the SentencePiece/BPE kind Gemma uses.
 */
import { UnsupportedError } from "../../errors.js";
import type { Tokenizer } from "../../tokenizer/tokenizer.js";

/** What a constraint needs to know about a vocabulary: the bytes each token decodes to. */
export interface TokenByteVocabulary {
  readonly size: number;
  /** UTF-8 bytes the token contributes to the text, or null for special/control tokens (never allowed inside JSON). */
  bytesOf(id: number): Uint8Array | null;
  /** Ids that end generation; allowed only when the document is complete. */
  readonly eosIds: readonly number[];
}

/** A vocabulary held as one array of byte strings (null = special). */
export class ArrayTokenByteVocabulary implements TokenByteVocabulary {
  constructor(private readonly tokens: readonly (Uint8Array | null)[], readonly eosIds: readonly number[]) {}
  get size(): number {
    return this.tokens.length;
  }
  bytesOf(id: number): Uint8Array | null {
    return this.tokens[id] ?? null;
  }
}

const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;
const SPACE_MARKER = /\u2581/g;

export interface TokenizerJsonVocabularyOptions {
  /** Token strings that end generation; those present in the vocabulary become `eosIds`. */
  readonly eosTokens?: readonly string[];
  /** Or the ids directly (the decode loop's stop ids); overrides `eosTokens`. */
  readonly eosIds?: readonly number[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks that the tokenizer decodes the SentencePiece way: `▁` → space, `<0xNN>` → one byte, pieces fused. */
function checkDecoder(decoder: unknown): void {
  const steps = isRecord(decoder) && decoder["type"] === "Sequence" && Array.isArray(decoder["decoders"]) ? decoder["decoders"] : [decoder];
  const known = new Set(["Replace", "ByteFallback", "Fuse", "Strip", "Metaspace"]);
  for (const step of steps) {
    const type = isRecord(step) ? step["type"] : undefined;
    if (typeof type !== "string" || !known.has(type)) {
      throw new UnsupportedError(`tokenizer.json decoder ${JSON.stringify(type ?? step)} is not supported for structured output (only SentencePiece-style decoders)`);
    }
  }
}

/**
 * Builds a TokenByteVocabulary from a parsed tokenizer.json (BPE vocab object or Unigram vocab array, plus
 * `added_tokens`). Special added tokens map to null; other added tokens decode to their text, as the
 * Hugging Face decoder does (so Gemma's `▁▁` run tokens are spaces and `<td>` is literal text).
 */
export function tokenByteVocabularyFromTokenizerJson(json: unknown, options: TokenizerJsonVocabularyOptions = {}): ArrayTokenByteVocabulary {
  if (!isRecord(json) || !isRecord(json["model"])) throw new UnsupportedError("tokenizer.json has no model object");
  checkDecoder(json["decoder"]);
  const model = json["model"];
  // Parallel arrays (piece text, id) rather than pair objects: this runs over 262k entries.
  let texts: string[];
  let ids: number[];
  const vocab = model["vocab"];
  if (Array.isArray(vocab)) {
    texts = vocab.map((entry) => (Array.isArray(entry) && typeof entry[0] === "string" ? entry[0] : ""));
    ids = texts.map((_, id) => id);
  } else if (isRecord(vocab)) {
    // Object.keys + lookup: several times faster than Object.entries on a 262k-key object.
    texts = Object.keys(vocab);
    ids = texts.map((piece) => {
      const id = vocab[piece];
      return typeof id === "number" && Number.isSafeInteger(id) && id >= 0 ? id : -1;
    });
  } else {
    throw new UnsupportedError("tokenizer.json model.vocab is neither an object nor an array");
  }
  const special = new Set<number>();
  const added = Array.isArray(json["added_tokens"]) ? json["added_tokens"] : [];
  for (const token of added) {
    if (!isRecord(token) || typeof token["id"] !== "number" || typeof token["content"] !== "string") continue;
    if (!Number.isSafeInteger(token["id"]) || token["id"] < 0) continue;
    texts.push(token["content"]);
    ids.push(token["id"]);
    if (token["special"] === true) special.add(token["id"]);
  }
  let size = 0;
  for (const id of ids) if (id >= size) size = id + 1;
  // Filled up front: assigning ids out of order into an empty array would make it a slow sparse one.
  const pieces: string[] = new Array<string>(size).fill("");
  const present = new Uint8Array(size);
  texts.forEach((piece, i) => {
    const id = ids[i];
    if (id < 0) return;
    pieces[id] = piece;
    present[id] = 1;
  });

  // Encode all ordinary pieces at once (one replace and one TextEncoder call instead of 262k each) and
  // hand out views into that buffer. `▁` (3 bytes in UTF-8) becomes a space (1 byte).
  const tokens: (Uint8Array | null)[] = new Array<Uint8Array | null>(size).fill(null);
  const plain: number[] = [];
  for (let id = 0; id < size; id++) {
    if (present[id] === 0 || special.has(id)) continue;
    const piece = pieces[id] as string;
    const byte = piece.length === 6 && piece.startsWith("<0x") ? BYTE_FALLBACK.exec(piece) : null;
    if (byte) tokens[id] = Uint8Array.of(parseInt(byte[1] ?? "", 16));
    else plain.push(id);
  }
  const all = new TextEncoder().encode(plain.map((id) => pieces[id]).join("").replace(SPACE_MARKER, " "));
  let offset = 0;
  for (const id of plain) {
    const length = utf8LengthAfterSpaceMarkers(pieces[id] as string);
    tokens[id] = all.subarray(offset, offset + length);
    offset += length;
  }
  const eosIds = options.eosIds
    ? options.eosIds.filter((id) => id >= 0 && id < size)
    : (options.eosTokens ?? ["<eos>", "<end_of_turn>"]).flatMap((name) => {
        const i = texts.indexOf(name);
        return i >= 0 && ids[i] >= 0 ? [ids[i]] : [];
      });
  return new ArrayTokenByteVocabulary(tokens, eosIds);
}

/**
 * UTF-8 length of a piece once `▁` is a space, as TextEncoder writes it (a lone surrogate becomes U+FFFD,
 * 3 bytes).
 */
function utf8LengthAfterSpaceMarkers(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80 || c === 0x2581) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The byte vocabulary of a loaded Tokenizer (same rules as from its tokenizer.json). */
export function tokenByteVocabularyFromTokenizer(tokenizer: Tokenizer, eosIds: readonly number[]): ArrayTokenByteVocabulary {
  const { pieces, special, decoder } = tokenizer.pieceTable();
  return tokenByteVocabularyFromTokenizerJson({
    model: { vocab: pieces.map((piece) => [piece, 0]) },
    added_tokens: [...special].map((id) => ({ id, content: pieces[id] ?? "", special: true })),
    decoder,
  }, { eosIds });
}
