/**
 * gemma4: Gemma 1–4 in TypeScript. The public API; deeper layers ship as subpaths (`gemma4/backends`,
 * `gemma4/formats`).
 */
export { loadModel, type LoadModelOptions } from "./api/load-model.js";
export { Model, type ModelInfo, type SessionLimits } from "./api/model.js";
export type { Session } from "./engine/session.js";
export type { GenerateOptions, GeneratedToken, FinishReason, LogitsProcessor } from "./engine/generate.js";
export type { SamplingOptions } from "./engine/sampler.js";
export type { LossAndGradients } from "./train/trainable-model.js";
export type { ChatRequest, ChatEvent, ToolChoice, ResponseFormat, Usage } from "./engine/chat-generation.js";
export type { CompletionRequest, CompletionEvent } from "./api/text-requests.js";
export type { BatchSchedulerOptions, BatchStats } from "./engine/batch-scheduler.js";
export { Tokenizer, StreamingDetokenizer, ChatFormatter, parseModelOutput, type ChatMessage, type ToolDefinition } from "./tokenizer/index.js";
export type { ModelConfig, LayerConfig, LayerKind, Family } from "./model/model-config.js";
export { GemmaError, BadPathError, BadFileError, BadRequestError, UnsupportedError, CancelledError, DeviceError, isGemmaError, type GemmaErrorCode } from "./errors.js";
export { describeModel, type ModelDescription } from "./api/describe-model.js";
export { pullModel, resolveModelReference, type PullOptions, type PullResult, type ResolveModelOptions } from "./formats/hub/index.js";
export { createServer, isLoopbackHost, type GemmaServer } from "./server/create-server.js";
export { type ServerOptions, SERVER_DEFAULTS } from "./server/server-options.js";
export { VERSION } from "./version.js";
