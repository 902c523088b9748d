/**
 * What `createServer` can be told, and the defaults: loopback only, no key, one MiB bodies, a batch of 8
 * and a queue of 64 behind it.
 */
import { BadRequestError } from "../errors.js";

export interface ServerOptions {
  /** Address to bind (default 127.0.0.1). A non-loopback address with no API key logs a warning. */
  readonly host?: string;
  /** TCP port (default 8080; 0 picks a free one). */
  readonly port?: number;
  /** Accepted Bearer keys; none = no authentication. */
  readonly apiKeys?: readonly string[];
  /** The model id clients see and must send (default: the model folder's name). */
  readonly modelId?: string;
  /** Most requests generating at once (each holds a KV cache); their steps share forward passes. Default 8. */
  readonly maxBatch?: number;
  /** Most tokens per forward pass across the batch (prefill chunks count their length). Default 2048. */
  readonly maxBatchTokens?: number;
  /** Most requests waiting for a batch slot; one more gets 429 with Retry-After. Default 64. */
  readonly maxQueue?: number;
  /** Largest request body in bytes (default 1 MiB); larger → 413. */
  readonly maxBodyBytes?: number;
  /** Origins allowed by CORS ("*" for any); none = no CORS headers. */
  readonly corsOrigins?: readonly string[];
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Serve the web chat page at `/` (default true). */
  readonly chatPage?: boolean;
  /** Where warnings and the listening line go (default console.error). */
  readonly log?: (line: string) => void;
}

export interface ResolvedServerOptions {
  readonly host: string;
  readonly port: number;
  readonly apiKeys: readonly string[];
  readonly modelId: string;
  /** Most tokens per sequence (prompt + generated): the model's context (`loadModel({maxContext})`, `--ctx`). */
  readonly maxContext: number;
  readonly maxBatch: number;
  readonly maxBatchTokens: number;
  readonly maxQueue: number;
  readonly maxBodyBytes: number;
  readonly corsOrigins: readonly string[];
  readonly tls: ServerOptions["tls"] | null;
  readonly chatPage: boolean;
  readonly log: (line: string) => void;
}

export const SERVER_DEFAULTS = {
  host: "127.0.0.1",
  port: 8080,
  maxBatch: 8,
  maxBatchTokens: 2048,
  maxQueue: 64,
  maxBodyBytes: 1 << 20,
} as const;

/** Fills defaults and checks ranges; `modelContext` is the most the model can hold. */
export function resolveServerOptions(options: ServerOptions, model: { readonly defaultId: string; readonly modelContext: number }): ResolvedServerOptions {
  const int = (name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max) throw new BadRequestError(`${name} must be an integer in [${min}, ${max}], not ${v}`, name);
    return v;
  };
  const apiKeys = options.apiKeys ?? [];
  for (const key of apiKeys) {
    if (key.length < 1 || /\s/.test(key)) throw new BadRequestError("an API key must be non-empty and contain no whitespace", "apiKeys");
  }
  const modelId = options.modelId ?? model.defaultId;
  if (!/^[\w.:@/-]{1,200}$/.test(modelId)) throw new BadRequestError(`model id ${JSON.stringify(modelId)} must be 1–200 of [A-Za-z0-9_.:@/-]`, "modelId");
  return {
    host: options.host ?? SERVER_DEFAULTS.host,
    port: int("port", options.port, SERVER_DEFAULTS.port, 0, 65535),
    apiKeys,
    modelId,
    maxContext: model.modelContext,
    maxBatch: int("maxBatch", options.maxBatch, SERVER_DEFAULTS.maxBatch, 1, 1024),
    maxBatchTokens: int("maxBatchTokens", options.maxBatchTokens, SERVER_DEFAULTS.maxBatchTokens, 1),
    maxQueue: int("maxQueue", options.maxQueue, SERVER_DEFAULTS.maxQueue, 0),
    maxBodyBytes: int("maxBodyBytes", options.maxBodyBytes, SERVER_DEFAULTS.maxBodyBytes, 1024),
    corsOrigins: options.corsOrigins ?? [],
    tls: options.tls ?? null,
    chatPage: options.chatPage ?? true,
    log: options.log ?? ((line) => console.error(line)),
  };
}
