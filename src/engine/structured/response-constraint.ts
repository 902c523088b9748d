/**
 * Structured output for a chat turn: the response format's grammar as a logits processor, built on a byte
 * trie of the model's vocabulary (made once per tokenizer). With thinking on, the model may first write
 * its thought channel freely; the constraint starts where the answer does.
 */
import type { OutputConstraint } from "../chat-generation.js";
import type { Tokenizer } from "../../tokenizer/tokenizer.js";
import { constrainedGenerationHooks } from "./constrained-generation.js";
import { JsonSchemaConstraint } from "./json-schema-constraint.js";
import { compileResponseFormat } from "./response-format.js";
import { TokenTrie } from "./token-trie.js";
import { tokenByteVocabularyFromTokenizer } from "./token-byte-vocabulary.js";

const tries = new WeakMap<Tokenizer, Map<string, TokenTrie>>();

/** The byte trie of `tokenizer`'s vocabulary with `stopIds` as end-of-sequence, cached per tokenizer. */
export function vocabularyTrie(tokenizer: Tokenizer, stopIds: readonly number[]): TokenTrie {
  let byStops = tries.get(tokenizer);
  if (!byStops) tries.set(tokenizer, (byStops = new Map()));
  const key = [...stopIds].sort((a, b) => a - b).join(",");
  let trie = byStops.get(key);
  if (!trie) byStops.set(key, (trie = TokenTrie.build(tokenByteVocabularyFromTokenizer(tokenizer, stopIds))));
  return trie;
}

export interface ResponseConstraintOptions {
  readonly tokenizer: Tokenizer;
  /** The decode loop's stop ids: the constraint allows them only once the document is complete. */
  readonly stopIds: readonly number[];
  readonly maxNewTokens: number;
  /** Let a thought channel (`<|channel>` … `<channel|>`) come first, unconstrained. */
  readonly thinking: boolean;
}

/** A constraint for `format` (OpenAI response_format), or null for plain text. */
export function responseFormatConstraint(format: unknown, options: ResponseConstraintOptions): OutputConstraint | null {
  const grammar = compileResponseFormat(format);
  if (!grammar) return null;
  const constraint = JsonSchemaConstraint.create(grammar, vocabularyTrie(options.tokenizer, options.stopIds));
  const { channelStart, channelEnd } = options.tokenizer.special;
  if (!options.thinking || channelStart === null || channelEnd === null) return constrainedGenerationHooks(constraint, options.maxNewTokens);

  // Thinking: the first token may open a thought channel; inside it nothing is masked; after its end the
  // answer is constrained with the tokens that remain.
  let phase: "start" | "thinking" | "answer" = "start";
  let answerStart = 0;
  let hooks = constrainedGenerationHooks(constraint, options.maxNewTokens);
  return {
    logitsProcessor: (logits, generated) => {
      if (phase === "thinking") return;
      if (phase === "start") {
        const open = logits[channelStart]!;
        hooks.logitsProcessor(logits, generated);
        logits[channelStart] = open;
        return;
      }
      hooks.logitsProcessor(logits, generated.slice(answerStart));
    },
    onToken: (id) => {
      if (phase === "start" && id === channelStart) { phase = "thinking"; answerStart = 1; return; }
      if (phase === "thinking") {
        if (id === channelEnd) {
          phase = "answer";
          hooks = constrainedGenerationHooks(constraint, Math.max(1, options.maxNewTokens - answerStart - 1));
        }
        answerStart++;
        return;
      }
      phase = "answer";
      hooks.onToken(id);
    },
  };
}
