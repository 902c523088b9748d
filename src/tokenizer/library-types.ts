/**
 * Typed views of the parts of `@huggingface/tokenizers` and `@huggingface/jinja` used here. Their .d.ts
 * files re-export through extensionless relative paths, which NodeNext resolution cannot follow, so
 * TypeScript sees those exports as `any`; these declarations (checked against the pinned versions'
 * sources) keep the rest of the module typed.
 */
import * as jinja from "@huggingface/jinja";
import * as tokenizers from "@huggingface/tokenizers";

export interface HfAddedToken {
  readonly content: string;
  readonly id: number;
  readonly special: boolean;
}

export interface HfDecoder {
  decode_chain(tokens: string[]): string[];
}

export interface HfSequenceDecoder extends HfDecoder {
  readonly decoders: HfDecoder[];
}

export interface HfTokenizer {
  readonly decoder: HfDecoder | null;
  /** The model's id → token table, added tokens included (may have holes). */
  readonly model: { readonly vocab: readonly (string | undefined)[] };
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[]; tokens: string[] };
  /** Throws on an empty list. */
  decode(ids: number[], options: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean }): string;
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
  get_added_tokens_decoder(): Map<number, HfAddedToken>;
}

export const HfTokenizer: new (tokenizerJson: object, tokenizerConfig: object) => HfTokenizer = tokenizers.Tokenizer;

/** A class the tokenizers package exports at runtime but its types do not show. */
function runtimeClass(name: string): abstract new (...args: never[]) => unknown {
  const value = (tokenizers as unknown as Record<string, unknown>)[name];
  if (typeof value !== "function") throw new Error(`@huggingface/tokenizers no longer exports ${name}; check library-types.ts against the installed version`);
  return value as abstract new (...args: never[]) => unknown;
}

const byteFallbackClass = runtimeClass("ByteFallbackDecoder");
const sequenceClass = runtimeClass("SequenceDecoder");

export function isByteFallbackDecoder(decoder: unknown): decoder is HfDecoder {
  return decoder instanceof byteFallbackClass;
}

export function isSequenceDecoder(decoder: unknown): decoder is HfSequenceDecoder {
  return decoder instanceof sequenceClass;
}

export interface JinjaEnvironment {
  /** Declares a variable (throws if already declared in this scope). */
  set(name: string, value: unknown): unknown;
}

export const JinjaEnvironment: new () => JinjaEnvironment = jinja.Environment;
export const JinjaInterpreter: new (env: JinjaEnvironment) => { run(program: unknown): { value: unknown } } = jinja.Interpreter;
