/** Logits processors the front ends ask for: repetition penalties and banned tokens. */
import { BadRequestError } from "../errors.js";
import type { LogitsProcessor } from "./generate.js";

/**
 * OpenAI's presence and frequency penalties: each token already generated loses
 * `presence + frequency × count` from its logit.
 */
export function repetitionPenalties(presence: number, frequency: number): LogitsProcessor | null {
  for (const [field, v] of [["presence_penalty", presence], ["frequency_penalty", frequency]] as const) {
    if (!(Number.isFinite(v) && v >= -2 && v <= 2)) throw new BadRequestError(`${field} must be between -2 and 2, not ${v}`, field);
  }
  if (presence === 0 && frequency === 0) return null;
  return (logits, generated) => {
    const counts = new Map<number, number>();
    for (const id of generated) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const [id, count] of counts) logits[id] = logits[id]! - presence - frequency * count;
  };
}

/** Never generate these tokens. */
export function banTokens(ids: readonly number[]): LogitsProcessor | null {
  const banned = ids.filter((id) => id >= 0);
  if (banned.length === 0) return null;
  return (logits) => {
    for (const id of banned) if (id < logits.length) logits[id] = -Infinity;
  };
}
