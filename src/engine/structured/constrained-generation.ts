/**
 * Plugs a JsonSchemaConstraint into the decode loop (generateTokens): a logits processor that masks each
 * row, and an onToken callback that advances the constraint. The constraint is told how many tokens are
 * left, so near the end of `maxNewTokens` it only offers tokens that still let the document (and
 * end-of-sequence) fit: the output is complete JSON whenever the schema's shortest document fits at all.
 *
 * The constraint's end-of-sequence ids must be the loop's stop ids (the vocabulary's `eosIds`).
 */
import type { LogitsProcessor } from "../generate.js";
import type { JsonSchemaConstraint } from "./json-schema-constraint.js";

export interface ConstrainedGenerationHooks {
  readonly logitsProcessor: LogitsProcessor;
  readonly onToken: (id: number) => void;
}

/** `maxNewTokens`: the generation's token limit (omit or Infinity: none, e.g. until the context is full). */
export function constrainedGenerationHooks(constraint: JsonSchemaConstraint, maxNewTokens = Infinity): ConstrainedGenerationHooks {
  return {
    logitsProcessor: (logits, generated) => {
      constraint.setTokenBudget(Number.isFinite(maxNewTokens) ? maxNewTokens - generated.length : null);
      constraint.maskLogits(logits);
    },
    onToken: (id) => constraint.accept(id),
  };
}
