/** OpenAI `logit_bias` ({"token id": bias in [-100, 100]}) as a logits processor that adds each bias. */
import { BadRequestError } from "../errors.js";
import type { LogitsProcessor } from "../engine/generate.js";

export function logitBiasProcessor(bias: Readonly<Record<string, number>> | null | undefined, vocabSize: number): LogitsProcessor | null {
  if (!bias) return null;
  const entries: [number, number][] = [];
  for (const [key, value] of Object.entries(bias)) {
    const id = Number(key);
    if (!/^\d+$/.test(key) || !(id < vocabSize)) throw new BadRequestError(`logit_bias key ${JSON.stringify(key)} is not a token id of this model (0..${vocabSize - 1})`, "logit_bias");
    entries.push([id, value]);
  }
  if (entries.length === 0) return null;
  return (logits) => {
    for (const [id, value] of entries) logits[id] = logits[id]! + value;
  };
}
