/**
 * Never truncate silently: a prompt that does not fit, or a prompt plus max_tokens beyond the context, is a
 * 400 that says the numbers. Without max_tokens, generation may run to the end of the context.
 */
import { BadRequestError } from "../errors.js";

/** The token budget of a request: max_tokens as asked, or what is left of the context (capped by `defaultCap`). */
export function tokenBudget(promptTokens: number, maxTokens: number | null | undefined, maxContext: number, promptField: string, defaultCap = Infinity): number {
  if (promptTokens >= maxContext) {
    throw new BadRequestError(`the prompt has ${promptTokens} tokens, which leaves no room to generate in this server's context of ${maxContext} tokens`, promptField);
  }
  if (maxTokens == null) return Math.min(defaultCap, maxContext - promptTokens);
  if (promptTokens + maxTokens > maxContext) {
    throw new BadRequestError(`the prompt (${promptTokens} tokens) + max_tokens (${maxTokens}) = ${promptTokens + maxTokens} tokens exceeds this server's context of ${maxContext} tokens; ask for at most ${maxContext - promptTokens} new tokens or shorten the prompt`, "max_tokens");
  }
  return maxTokens;
}
