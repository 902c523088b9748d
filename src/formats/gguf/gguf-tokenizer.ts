/**
 * The tokenizer in GGUF metadata, both ways, for Gemma's SentencePiece-style BPE (byte fallback, "▁" for
 * spaces, no dummy prefix).
 *
 * Writing follows llama.cpp's converter for Gemma 1–3 (tokenizer.ggml.model "llama": tokens in id order,
 * scores, token types; added tokens are CONTROL when special or special-looking and USER_DEFINED otherwise,
 * with "▁" pre-normalised to " " in user-defined ones) and for Gemma 4 (model "gemma4", merges stored).
 * We also store the merges for "llama" files (llama.cpp ignores them there) so the rebuilt tokenizer is exact.
 * Scores are not in tokenizer.json; we give each merge result the rank of its group in the merge order, which
 * makes transformers' generate_merges (rank by the result's score, then longer left part, then longer right
 * part) reproduce tokenizer.json's merges exactly (tested), and gives llama.cpp's SPM tokenizer the same
 * priorities.
 *
 * Reading rebuilds a tokenizer.json object for @huggingface/tokenizers: stored merges when present, else
 * merges generated from the scores (as transformers converts a SentencePiece model; for llama.cpp-made files
 * the added tokens' original scores are lost (-1000), so merges among them may be ranked differently).
 */
import { UnsupportedError } from "../../errors.js";
import type { GgufMetadata } from "./gguf-metadata.js";
import { gguf, type GgufValue } from "./gguf-value.js";

/** llama.cpp's token types (gguf-py TokenType). */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

const SPACE_MARK = "\u2581";
const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;

interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
}

/** The parts of a Gemma tokenizer.json we read (validated). */
interface BpeTokenizerJson {
  readonly vocab: ReadonlyMap<string, number>;
  readonly merges: readonly (readonly [string, string])[];
  readonly added: readonly AddedToken[];
  readonly unkToken: string | null;
  readonly addBos: boolean;
  readonly addEos: boolean;
}

function fail(source: string, why: string): never {
  throw new UnsupportedError(`${source}: ${why}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function parseTokenizerJson(json: unknown, source: string): BpeTokenizerJson {
  const fail = (why: string): never => {
    throw new UnsupportedError(`${source}: ${why} (only SentencePiece-style BPE tokenizers with byte fallback, as Gemma's, can go into GGUF)`);
  };
  if (!isObject(json) || !isObject(json["model"])) return fail("no model object");
  const model = json["model"];
  if (model["type"] !== "BPE" || model["byte_fallback"] !== true) fail(`model type ${JSON.stringify(model["type"])} without byte_fallback`);
  if (!isObject(model["vocab"]) || !Array.isArray(model["merges"])) fail("model has no vocab/merges");
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(model["vocab"] as Record<string, unknown>)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) fail(`vocab id of ${JSON.stringify(token)} is not an integer`);
    vocab.set(token, id as number);
  }
  const merges = (model["merges"] as unknown[]).map((m): [string, string] => {
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") return [m[0], m[1]];
    if (typeof m === "string") {
      const parts = m.split(" ");
      if (parts.length === 2) return [parts[0]!, parts[1]!];
    }
    return fail(`merge ${JSON.stringify(m)} is not a pair`);
  });
  const added = (Array.isArray(json["added_tokens"]) ? json["added_tokens"] : []).map((t: unknown): AddedToken => {
    if (!isObject(t) || !Number.isSafeInteger(t["id"]) || typeof t["content"] !== "string") return fail("malformed added_tokens entry");
    return { id: t["id"] as number, content: t["content"] as string, special: t["special"] === true };
  });
  const post = json["post_processor"];
  const single = isObject(post) && Array.isArray(post["single"]) ? (post["single"] as unknown[]) : [];
  const specialAt = (i: number): boolean => isObject(single[i]) && "SpecialToken" in (single[i] as object);
  return {
    vocab, merges, added,
    unkToken: typeof model["unk_token"] === "string" ? (model["unk_token"] as string) : null,
    addBos: single.length > 0 && specialAt(0),
    addEos: single.length > 1 && specialAt(single.length - 1),
  };
}

/** llama.cpp's TextModel.does_token_look_special. */
function looksSpecial(text: string): boolean {
  return ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(text) || (text.startsWith("<|") && text.endsWith("|>"))
    || (text.startsWith("<｜") && text.endsWith("｜>")) || (text.startsWith("<unused") && text.endsWith(">"));
}

const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Scores that make generateMerges reproduce `merges`: consecutive merges that are in generate_merges' order
 * for equal scores share a group; every merge result gets minus its group's index.
 */
function scoresFromMerges(tokens: readonly string[], vocab: ReadonlyMap<string, number>, merges: readonly (readonly [string, string])[]): Float32Array {
  const scores = new Float32Array(tokens.length).fill(NaN);
  let group = 0;
  let prev: number[] | null = null;
  for (const [a, b] of merges) {
    const id = vocab.get(a + b);
    if (id === undefined) continue;
    const key = [-codePoints(a), -codePoints(b), id, vocab.get(a) ?? 0, vocab.get(b) ?? 0];
    if (prev && compareKeys(prev, key) > 0) group++;
    prev = key;
    if (Number.isNaN(scores[id]!)) scores[id] = -group;
  }
  const lowest = -group - 1;
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i]!)) scores[i] = lowest;
  return scores;
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

export interface TokenizerMetadataOptions {
  readonly family: "gemma" | "gemma2" | "gemma3" | "gemma4";
  /** The model's vocabulary (embedding rows); tokens past it are dropped, as llama.cpp does. */
  readonly vocabSize: number;
  readonly chatTemplate?: string | null;
  /** For messages. */
  readonly source: string;
}

/** tokenizer.json (parsed) → GGUF tokenizer metadata, llama.cpp style. */
export function tokenizerMetadataFromHf(json: unknown, options: TokenizerMetadataOptions): [string, GgufValue][] {
  const source = options.source;
  const t = parseTokenizerJson(json, source);
  let maxId = -1;
  for (const id of t.vocab.values()) maxId = Math.max(maxId, id);
  for (const a of t.added) maxId = Math.max(maxId, a.id);
  const count = options.vocabSize;
  if (maxId < 0) fail(source, "has an empty vocabulary");
  // Ids the tokenizer does not use up to the model's vocabulary are "[PAD{id}]" placeholders, as llama.cpp pads.
  const tokens: string[] = Array.from({ length: count }, (_, id) => `[PAD${id}]`);
  const types = new Int32Array(count).fill(TOKEN_TYPE.UNUSED);
  const vocab = new Map(t.vocab);
  for (const [token, id] of t.vocab) {
    if (id >= count) continue;
    tokens[id] = token;
    types[id] = BYTE_TOKEN.test(token) ? TOKEN_TYPE.BYTE : TOKEN_TYPE.NORMAL;
  }
  const gemma4 = options.family === "gemma4";
  for (const a of t.added) {
    if (a.id >= count) continue;
    vocab.set(a.content, a.id);
    const control = a.special || looksSpecial(a.content);
    if (gemma4) {
      // LlamaHfVocab: added tokens inside the base vocabulary keep their base type unless special.
      types[a.id] = control ? TOKEN_TYPE.CONTROL : types[a.id] === TOKEN_TYPE.UNUSED ? TOKEN_TYPE.USER_DEFINED : types[a.id]!;
      tokens[a.id] = a.content;
    } else {
      types[a.id] = control ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED;
      tokens[a.id] = control ? a.content : a.content.replaceAll(SPACE_MARK, " ");
    }
  }
  const scores = gemma4 ? new Float32Array(count).fill(-1000) : scoresFromMerges(tokens, vocab, t.merges);
  const unkId = t.unkToken !== null ? vocab.get(t.unkToken) : undefined;
  const out: [string, GgufValue][] = [
    ["tokenizer.ggml.model", gguf.string(gemma4 ? "gemma4" : "llama")],
    ["tokenizer.ggml.tokens", gguf.strings(tokens)],
    ["tokenizer.ggml.scores", gguf.f32s(scores)],
    ["tokenizer.ggml.token_type", gguf.i32s(types)],
    ["tokenizer.ggml.merges", gguf.strings(t.merges.map(([a, b]) => `${a} ${b}`))],
    ["tokenizer.ggml.add_bos_token", gguf.bool(t.addBos)],
    ["tokenizer.ggml.add_eos_token", gguf.bool(t.addEos)],
    ["tokenizer.ggml.add_space_prefix", gguf.bool(false)],
  ];
  if (unkId !== undefined && unkId < count) out.push(["tokenizer.ggml.unknown_token_id", gguf.u32(unkId)]);
  if (options.chatTemplate) out.push(["tokenizer.chat_template", gguf.string(options.chatTemplate)]);
  return out;
}

/** transformers' generate_merges(vocab, vocab_scores): every split of every piece into two pieces, ranked. */
export function generateMerges(tokens: readonly string[], scores: ArrayLike<number>): [string, string][] {
  const vocab = new Map<string, number>();
  tokens.forEach((t, i) => { if (!vocab.has(t)) vocab.set(t, i); });
  const all: { a: string; b: string; score: number; la: number; lb: number }[] = [];
  for (let id = 0; id < tokens.length; id++) {
    const piece = tokens[id]!;
    if (vocab.get(piece) !== id) continue;
    const chars = [...piece];
    const local: { a: string; b: string; score: number; la: number; lb: number }[] = [];
    for (let i = 1; i < chars.length; i++) {
      const a = chars.slice(0, i).join("");
      const b = chars.slice(i).join("");
      if (vocab.has(a) && vocab.has(b)) local.push({ a, b, score: scores[id]!, la: i, lb: chars.length - i });
    }
    local.sort((x, y) => vocab.get(x.a)! - vocab.get(y.a)! || vocab.get(x.b)! - vocab.get(y.b)!);
    all.push(...local);
  }
  // Python's sorted(key=(score, len(l), len(r)), reverse=True) is stable: ties keep their order.
  all.sort((x, y) => y.score - x.score || y.la - x.la || y.lb - x.lb);
  return all.map((m) => [m.a, m.b]);
}

/** GGUF tokenizer metadata → a tokenizer.json object (null when the file has no tokenizer). */
export function hfTokenizerFromGguf(m: GgufMetadata): Record<string, unknown> | null {
  if (!m.has("tokenizer.ggml.tokens")) return null;
  const model = m.string("tokenizer.ggml.model");
  if (model !== "llama" && model !== "gemma4") throw new UnsupportedError(`${m.path}: tokenizer model ${JSON.stringify(model)} is not supported (llama, gemma4)`);
  const stored = m.stringArray("tokenizer.ggml.tokens")!;
  const types = m.numberArray("tokenizer.ggml.token_type") ?? new Float64Array(stored.length).fill(TOKEN_TYPE.NORMAL);
  const scores = m.numberArray("tokenizer.ggml.scores") ?? new Float64Array(stored.length);
  if (types.length !== stored.length || scores.length !== stored.length) m.fail("tokenizer.ggml.token_type", `and scores must have one entry per token (${stored.length})`);
  // Undo llama.cpp's pre-normalisation of user-defined tokens (" " → "▁") so they match tokenizer.json's.
  const tokens = stored.map((t, i) => (types[i] === TOKEN_TYPE.USER_DEFINED && model === "llama" ? t.replaceAll(" ", SPACE_MARK) : t));
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>; // "constructor" is a token
  tokens.forEach((t, i) => { if (!Object.hasOwn(vocab, t)) vocab[t] = i; });
  const storedMerges = m.stringArray("tokenizer.ggml.merges");
  const merges = storedMerges ? storedMerges.map((s) => {
    const cut = s.indexOf(" ");
    if (cut < 0) m.fail("tokenizer.ggml.merges", `entry ${JSON.stringify(s)} is not "left right"`);
    return [s.slice(0, cut), s.slice(cut + 1)];
  }) : generateMerges(tokens, scores);
  const addedTokens = tokens.flatMap((content, id) => {
    const type = types[id];
    if (type !== TOKEN_TYPE.CONTROL && type !== TOKEN_TYPE.USER_DEFINED && type !== TOKEN_TYPE.UNKNOWN) return [];
    return [{ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: type !== TOKEN_TYPE.USER_DEFINED }];
  });
  const bosId = m.uint("tokenizer.ggml.bos_token_id", 2);
  const eosId = m.uint("tokenizer.ggml.eos_token_id", 1);
  const addBos = m.bool("tokenizer.ggml.add_bos_token", true);
  const addEos = m.bool("tokenizer.ggml.add_eos_token", false);
  const special = (id: number, typeId: number): Record<string, unknown> => ({ SpecialToken: { id: tokens[id], type_id: typeId } });
  const seq = (id: "A" | "B", typeId: number): Record<string, unknown> => ({ Sequence: { id, type_id: typeId } });
  const single = [...(addBos ? [special(bosId, 0)] : []), seq("A", 0), ...(addEos ? [special(eosId, 0)] : [])];
  const pair = [...single, ...(addBos ? [special(bosId, 1)] : []), seq("B", 1), ...(addEos ? [special(eosId, 1)] : [])];
  const specialTokens: Record<string, unknown> = {};
  for (const id of [...(addBos ? [bosId] : []), ...(addEos ? [eosId] : [])]) specialTokens[tokens[id]!] = { id: tokens[id], ids: [id], tokens: [tokens[id]] };
  const unkId = m.optionalUint("tokenizer.ggml.unknown_token_id") ?? types.indexOf(TOKEN_TYPE.UNKNOWN);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: "Replace", pattern: { String: " " }, content: SPACE_MARK },
    pre_tokenizer: { type: "Split", pattern: { String: " " }, behavior: "MergedWithPrevious", invert: false },
    post_processor: { type: "TemplateProcessing", single, pair, special_tokens: specialTokens },
    decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: SPACE_MARK }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }] },
    model: {
      type: "BPE", dropout: null, unk_token: unkId >= 0 && unkId < tokens.length ? tokens[unkId] : null, continuing_subword_prefix: null,
      end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges,
    },
  };
}

/** The tokenizer_config.json fields a tokenizer built from GGUF metadata needs. */
export function hfTokenizerConfigFromGguf(m: GgufMetadata): Record<string, unknown> | null {
  const tokens = m.stringArray("tokenizer.ggml.tokens");
  if (!tokens) return null;
  const name = (key: string): string | null => {
    const id = m.optionalUint(key);
    return id !== null && id < tokens.length ? tokens[id]! : null;
  };
  return {
    add_bos_token: m.bool("tokenizer.ggml.add_bos_token", true),
    add_eos_token: m.bool("tokenizer.ggml.add_eos_token", false),
    bos_token: name("tokenizer.ggml.bos_token_id"),
    eos_token: name("tokenizer.ggml.eos_token_id"),
    pad_token: name("tokenizer.ggml.padding_token_id"),
    unk_token: name("tokenizer.ggml.unknown_token_id"),
    clean_up_tokenization_spaces: false,
    spaces_between_special_tokens: false,
    ...(m.has("tokenizer.chat_template") ? { chat_template: m.string("tokenizer.chat_template") } : {}),
  };
}
