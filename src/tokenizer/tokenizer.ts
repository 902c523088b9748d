/**
 * `Tokenizer`: text ↔ token ids for a model folder, through `@huggingface/tokenizers` (checked token for
 * token against the Rust library on the Gemma 3 tokenizer: test/fixtures/tokenizer). Adds what the raw
 * library lacks: typed errors, decoding of an empty list, Rust's handling of invalid byte runs, fast
 * special-token skipping, the control-token ids, and the bos policy:
 *
 * - Gemma 4 tokenizers have `add_bos_token: false` and their chat template writes `<bos>` itself; Gemma 1–3
 *   templates write it too. So chat text is encoded without special tokens, and `encodePrompt` gives any
 *   prompt (chat-rendered or raw) exactly one leading bos — never two (gemma-architecture.md §9.21).
 */
import { BadFileError, BadRequestError } from "../errors.js";
import { HfTokenizer } from "./library-types.js";
import { useRustByteFallback } from "./rust-byte-fallback.js";
import { findSpecialTokens, tokenText, type SpecialTokens } from "./special-tokens.js";
import { readTokenizerFiles, type ChatTemplateSource, type TokenizerFiles } from "./tokenizer-files.js";

export interface EncodeOptions {
  /** Run the tokenizer's post-processor (Gemma 1–3: prepend `<bos>`; Gemma 4: nothing). Default false. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave out special (control) tokens such as `<bos>`, `<end_of_turn>`, `<|tool_call>`. Default false. */
  readonly skipSpecialTokens?: boolean;
}

export interface Encoding {
  readonly ids: Int32Array;
  /** The vocabulary entry of each id (`▁Hello`, `<0xE2>`, `<bos>`). */
  readonly pieces: readonly string[];
}

export class Tokenizer {
  /** Number of ids (base vocabulary plus added tokens): every valid id is below this. */
  readonly vocabSize: number;
  readonly special: SpecialTokens;
  /** Whether tokenizer_config.json asks for a bos on plain encodes (Gemma 1–3 true, Gemma 4 false). */
  readonly addBosToken: boolean;
  /** Chat templates by name ("default" for the unnamed one); empty when the folder has none. */
  readonly chatTemplates: ReadonlyMap<string, ChatTemplateSource>;
  /** Special-token texts by the names a chat template knows them (bos_token, eos_token, boi_token, …). */
  readonly templateTokens: Readonly<Record<string, string>>;
  private readonly hf: HfTokenizer;
  private readonly specialIds: ReadonlySet<number>;
  private readonly cleanUpSpaces: boolean;
  /** tokenizer.json's "decoder" section (small; kept so byte-level consumers can check how pieces decode). */
  private readonly decoderConfig: unknown;

  private constructor(readonly dir: string, files: TokenizerFiles) {
    const tokenizerPath = `${files.dir}/tokenizer.json`;
    try {
      this.hf = new HfTokenizer(files.tokenizerJson, files.tokenizerConfig);
    } catch (e) {
      throw new BadFileError(tokenizerPath, `cannot be loaded as a tokenizer (${(e as Error).message.split("\n")[0]})`, { cause: e });
    }
    useRustByteFallback(this.hf.decoder);
    this.decoderConfig = files.tokenizerJson["decoder"];
    const added = this.hf.get_added_tokens_decoder();
    this.vocabSize = this.hf.model.vocab.length;
    if (this.vocabSize === 0) throw new BadFileError(tokenizerPath, "has an empty vocabulary");
    const specialIds = new Set<number>();
    for (const [id, token] of added) if (token.special) specialIds.add(id);
    const extra = files.tokenizerConfig["additional_special_tokens"];
    if (Array.isArray(extra)) {
      for (const t of extra) {
        const id = this.tokenToId(tokenText(t) ?? "");
        if (id !== null) specialIds.add(id);
      }
    }
    this.specialIds = specialIds;
    const config = files.tokenizerConfig;
    this.addBosToken = config["add_bos_token"] === true;
    // transformers only cleans up spaces when the config asks; the Rust library never does.
    this.cleanUpSpaces = config["clean_up_tokenization_spaces"] === true;
    this.special = findSpecialTokens(config, (t) => this.tokenToId(t));
    this.chatTemplates = files.chatTemplates;
    this.templateTokens = templateTokensOf(config);
  }

  /**
   * The id → piece table (added tokens included; "" where an id has no token), the special ids, and the
   * decoder section of tokenizer.json: what a byte-level consumer (structured output) needs.
   */
  pieceTable(): { readonly pieces: string[]; readonly special: ReadonlySet<number>; readonly decoder: unknown } {
    return { pieces: Array.from(this.hf.model.vocab, (p) => p ?? ""), special: this.specialIds, decoder: this.decoderConfig };
  }

  /** Loads tokenizer.json (+ tokenizer_config.json, special_tokens_map.json, chat template) from a folder. */
  static async load(dir: string): Promise<Tokenizer> {
    return new Tokenizer(dir, await readTokenizerFiles(dir));
  }

  /** From files already in memory (tests, the browser). */
  static fromFiles(files: TokenizerFiles): Tokenizer {
    return new Tokenizer(files.dir, files);
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    return this.encodeWithPieces(text, options).ids;
  }

  encodeWithPieces(text: string, options: EncodeOptions = {}): Encoding {
    if (typeof text !== "string") throw new BadRequestError(`text to encode must be a string, not ${typeof text}`, "text");
    const encoding = this.hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? false });
    return { ids: Int32Array.from(encoding.ids), pieces: encoding.tokens };
  }

  /**
   * Ids for generation: `text` without the post-processor, then exactly one `<bos>` at the front — kept if
   * the text already starts with it (chat templates write it), added otherwise (raw prompts).
   */
  encodePrompt(text: string): Int32Array {
    const ids = this.encode(text);
    const bos = this.special.bos;
    if (bos === null || ids[0] === bos) return ids;
    const out = new Int32Array(ids.length + 1);
    out[0] = bos;
    out.set(ids, 1);
    return out;
  }

  /** Text of `ids`; an empty list gives "". Ids outside the vocabulary are a BadRequestError. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const list: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new BadRequestError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`, "ids");
      if (options.skipSpecialTokens && this.specialIds.has(id)) continue;
      list.push(id);
    }
    if (list.length === 0) return "";
    return this.hf.decode(list, { skip_special_tokens: false, clean_up_tokenization_spaces: this.cleanUpSpaces });
  }

  tokenToId(token: string): number | null {
    return this.hf.token_to_id(token) ?? null;
  }

  /** The vocabulary entry for `id` (`▁the`, `<0x0A>`, `<bos>`), or null outside the vocabulary. */
  idToToken(id: number): string | null {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) return null;
    return this.hf.id_to_token(id) ?? null;
  }

  /** Whether `id` is a special token (an added token marked special: `<bos>`, turn and tool markers, …). */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** Ids of every special token, ascending. */
  specialTokenIds(): number[] {
    return [...this.specialIds].sort((a, b) => a - b);
  }
}

/**
 * transformers passes `special_tokens_map` to chat templates: bos/eos/unk/sep/pad/cls/mask plus named
 * extras (Gemma 3: boi_token, eoi_token, image_token).
 */
function templateTokensOf(config: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!key.endsWith("_token")) continue;
    const text = tokenText(value);
    if (text !== null) out[key] = text;
  }
  const extra = config["extra_special_tokens"];
  if (typeof extra === "object" && extra !== null && !Array.isArray(extra)) {
    for (const [key, value] of Object.entries(extra)) {
      const text = tokenText(value);
      if (text !== null) out[key] = text;
    }
  }
  return out;
}
