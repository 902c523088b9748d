/** Structured output: JSON Schema / json_object constrained decoding over a byte-level vocabulary. */
export { ArrayTokenByteVocabulary, tokenByteVocabularyFromTokenizerJson } from "./token-byte-vocabulary.js";
export type { TokenByteVocabulary, TokenizerJsonVocabularyOptions } from "./token-byte-vocabulary.js";
export { TokenTrie } from "./token-trie.js";
export { compileJsonSchema, compileJsonObjectGrammar } from "./json-schema-compiler.js";
export type { JsonGrammarOptions } from "./json-schema-compiler.js";
export type { WhitespacePolicy } from "./json-fragments.js";
export { JsonGrammar } from "./json-grammar.js";
export { compileResponseFormat } from "./response-format.js";
export { JsonSchemaConstraint } from "./json-schema-constraint.js";
export { constrainedGenerationHooks, type ConstrainedGenerationHooks } from "./constrained-generation.js";
export { TokenMask } from "./token-mask.js";
