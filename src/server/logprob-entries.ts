/**
 * Log-probabilities in OpenAI's two shapes, from the chat layer's token events (the token's own text, its
 * log-probability under the model's distribution, and the top alternatives). `bytes` are the UTF-8 bytes
 * of that text; a byte-fallback token that is only part of a character decodes to U+FFFD on its own.
 */
export interface TokenEvent {
  readonly id: number;
  readonly piece: string;
  readonly logprob: number;
  readonly top?: readonly { readonly id: number; readonly piece: string; readonly logprob: number }[];
}

export interface ChatTopLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[];
}

export interface ChatLogprobEntry extends ChatTopLogprob {
  readonly top_logprobs: ChatTopLogprob[];
}

const bytesOf = (text: string): number[] => [...Buffer.from(text, "utf8")];

/** One entry of `choices[i].logprobs.content` (chat completions). */
export function chatLogprobEntry(token: TokenEvent): ChatLogprobEntry {
  return {
    token: token.piece,
    logprob: token.logprob,
    bytes: bytesOf(token.piece),
    top_logprobs: (token.top ?? []).map((t) => ({ token: t.piece, logprob: t.logprob, bytes: bytesOf(t.piece) })),
  };
}

export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[] | null;
  text_offset: number[];
}

/** The legacy completions shape (parallel arrays); `offset` is where the first token's text starts. */
export function completionLogprobs(tokens: readonly TokenEvent[], withTop: boolean, offset = 0): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: withTop ? [] : null, text_offset: [] };
  let position = offset;
  for (const t of tokens) {
    out.tokens.push(t.piece);
    out.token_logprobs.push(t.logprob);
    out.text_offset.push(position);
    position += t.piece.length;
    if (out.top_logprobs) out.top_logprobs.push(Object.fromEntries((t.top ?? []).map((a) => [a.piece, a.logprob])));
  }
  return out;
}
