/**
 * Turns generated ids into text as soon as that text is final. The algorithm is the Rust library's
 * `DecodeStream`: decode a short window of recent ids and emit what it adds past the window's already
 * emitted prefix, holding back while the decoded text ends in U+FFFD (an unfinished byte-fallback run such
 * as `<0xE2><0x82>` of "€"). Because it reuses `Tokenizer.decode`, `▁`, byte fallback and special tokens
 * come out exactly as a full decode gives them, and the pieces concatenate to `decode(allIds)`.
 *
 * One case cannot be streamed exactly: a byte run that was complete UTF-8 and then grows into an invalid
 * one (`<0xC3><0xA9>` "é" followed by a stray `<0x80>`), where a full decode turns all three bytes into
 * U+FFFD. "é" has been emitted by then; the stream emits the new tail and carries on.
 */
import type { Tokenizer } from "./tokenizer.js";

export interface StreamingDetokenizerOptions {
  /** Leave out special tokens (`<bos>`, `<turn|>`, `<|tool_call>`, …). Default false: show them. */
  readonly skipSpecialTokens?: boolean;
}

const REPLACEMENT = "\uFFFD";

export class StreamingDetokenizer {
  private ids: number[] = [];
  /** Text of ids[0 .. prefixIndex) (already emitted). */
  private prefix = "";
  private prefixIndex = 0;
  private readonly skipSpecialTokens: boolean;

  constructor(private readonly tokenizer: Tokenizer, options: StreamingDetokenizerOptions = {}) {
    this.skipSpecialTokens = options.skipSpecialTokens ?? false;
  }

  /** Adds one id; returns the text that became final ("" when none did yet). */
  push(id: number): string {
    if (this.skipSpecialTokens && this.tokenizer.isSpecial(id)) {
      this.tokenizer.decode([id]); // still reject ids outside the vocabulary
      return "";
    }
    this.ids.push(id);
    const text = this.decode(this.ids);
    if (text.length <= this.prefix.length || text.endsWith(REPLACEMENT)) return "";
    const fresh = text.startsWith(this.prefix) ? text.slice(this.prefix.length) : text.slice(commonPrefixLength(text, this.prefix));
    // Keep the ids of this emission as context for the next window (a decoder may look one token back).
    this.ids = this.ids.slice(this.prefixIndex);
    this.prefix = this.decode(this.ids);
    this.prefixIndex = this.ids.length;
    return fresh;
  }

  /** Adds several ids; returns the text that became final. */
  pushAll(ids: ArrayLike<number>): string {
    let out = "";
    for (let i = 0; i < ids.length; i++) out += this.push(ids[i]!);
    return out;
  }

  /** Ends the stream: returns whatever was held back (an unfinished byte run decodes to U+FFFD). */
  flush(): string {
    const text = this.decode(this.ids);
    const fresh = text.startsWith(this.prefix) ? text.slice(this.prefix.length) : text.slice(commonPrefixLength(text, this.prefix));
    this.ids = [];
    this.prefix = "";
    this.prefixIndex = 0;
    return fresh;
  }

  /** Whether ids are held back waiting for more bytes. */
  get pending(): boolean {
    return this.ids.length > this.prefixIndex;
  }

  private decode(ids: readonly number[]): string {
    return this.tokenizer.decode(ids, { skipSpecialTokens: this.skipSpecialTokens });
  }
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
