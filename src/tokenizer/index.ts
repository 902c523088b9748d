/**
 * Text in, text out: the tokenizer, the streaming detokenizer, chat formats (the model's template or the
 * built-in Gemma 4 / Gemma 3 ones), and Gemma 4 tool calls and thinking.
 */
export { Tokenizer, type EncodeOptions, type DecodeOptions, type Encoding } from "./tokenizer.js";
export { readTokenizerFiles, type TokenizerFiles, type ChatTemplateSource } from "./tokenizer-files.js";
export { GEMMA4_MARKERS, GEMMA3_MARKERS, type SpecialTokens, type TurnStyle } from "./special-tokens.js";
export { StreamingDetokenizer, type StreamingDetokenizerOptions } from "./streaming-detokenizer.js";
export type { ChatMessage, ChatFormatOptions, ChatToolCall, ChatToolResponse, ContentPart, ToolDefinition, FunctionDefinition, JsonValue, JsonObject } from "./chat-types.js";
export { ChatFormatter, checkMessages, type ChatFormatSource, type ChatFormatterOptions } from "./chat-formatter.js";
export { JinjaChatTemplate, selectChatTemplate } from "./chat-template.js";
export { normalizeTools } from "./tool-definitions.js";
export { renderGemma4Chat, stripThinking } from "./gemma4-chat-format.js";
export { renderGemma3Chat } from "./gemma3-chat-format.js";
export { formatToolDeclaration } from "./gemma4-tool-declaration.js";
export { formatGemma4Value } from "./gemma4-value-format.js";
export { parseGemma4Value, parseGemma4Object, type ValueParse } from "./gemma4-value-parser.js";
export { parseToolCalls, parseToolCallAt, type ToolCall, type InvalidToolCall, type InvalidToolCallCode } from "./tool-call-parser.js";
export { StreamingOutputParser, parseModelOutput, collectOutput, type ModelOutput, type OutputEvent, type OutputParserOptions } from "./model-output-parser.js";
export { toolResponseContinuation, toolResultValue, type ToolResponseContinuationOptions } from "./tool-response.js";
export { foldToolMessages } from "./fold-tool-messages.js";
