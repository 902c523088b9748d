/**
 * `createServer(model, options)`: the OpenAI-compatible HTTP front end (fastify). It owns the protocol —
 * validation, auth, limits, queueing, metrics, streaming — and reaches the model only through the public
 * `Model` API; the engine knows nothing of HTTP. It turns on the model's continuous batching, so the
 * requests it admits share forward passes.
 */
import { isIP } from "node:net";
import { basename } from "node:path";
import cors from "@fastify/cors";
import Fastify, { type FastifyInstance } from "fastify";
import type { Model } from "../api/model.js";
import { BadRequestError } from "../errors.js";
import { AdmissionQueue } from "./admission-queue.js";
import { ApiKeyCheck } from "./api-key-check.js";
import { CHAT_PAGE_HTML } from "./chat-page.js";
import { HttpError, toOpenAiError } from "./openai-error.js";
import { registerChatCompletionsRoute } from "./routes/chat-completions-route.js";
import { registerCompletionsRoute } from "./routes/completions-route.js";
import { registerEmbeddingsRoute } from "./routes/embeddings-route.js";
import { registerModelsRoute } from "./routes/models-route.js";
import type { ServerContext } from "./server-context.js";
import { ServerMetrics } from "./server-metrics.js";
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from "./server-options.js";

/** Paths anyone may read without a key: the health probe and the (secret-free) chat page. */
const PUBLIC_PATHS = new Set(["/health", "/"]);

export interface GemmaServer {
  readonly app: FastifyInstance;
  readonly options: ResolvedServerOptions;
  readonly metrics: ServerMetrics;
  readonly queue: AdmissionQueue;
  /** Starts listening; resolves with the base URL (e.g. http://127.0.0.1:8080). */
  listen(): Promise<string>;
  /** Stops accepting, ends open connections, and waits for them. The model stays loaded. */
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || host === "[::1]";
}

export async function createServer(model: Model, options: ServerOptions = {}): Promise<GemmaServer> {
  const resolved = resolveServerOptions(options, { defaultId: basename(model.info.source) || "gemma4", modelContext: model.maxContext });
  const scheduler = model.enableBatching({ maxBatch: resolved.maxBatch, maxBatchTokens: resolved.maxBatchTokens });
  const queue = new AdmissionQueue(resolved.maxBatch, resolved.maxQueue);
  const metrics = new ServerMetrics({
    kvCache: () => model.kvCacheStats,
    queue: () => ({ active: queue.active, waiting: queue.waiting }),
  });
  scheduler.onPass = (batchSize, tokens) => {
    metrics.batchSize.observe(batchSize);
    metrics.batchTokens.inc(tokens);
  };
  const keys = new ApiKeyCheck(resolved.apiKeys);

  const fastifyOptions = {
    bodyLimit: resolved.maxBodyBytes,
    logger: false,
    // Strict JSON-schema validation: no coercion ("5" is not 5), nothing silently dropped or defaulted.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    // Generation can be slow to start under load; idle sockets are closed by keep-alive timeouts instead.
    requestTimeout: 0,
  } as const;
  const app = (resolved.tls
    ? Fastify({ ...fastifyOptions, https: { cert: resolved.tls.cert, key: resolved.tls.key } })
    : Fastify(fastifyOptions)) as unknown as FastifyInstance;

  if (resolved.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: resolved.corsOrigins.includes("*") ? "*" : [...resolved.corsOrigins],
      methods: ["GET", "POST", "OPTIONS"],
      // Request headers are reflected: the official clients send their own x-stainless-* headers.
      maxAge: 600,
    });
  }

  app.addHook("onRequest", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    reply.raw.once("close", () => metrics.requests.inc({ route, status: String(reply.raw.statusCode) }));
    // Public by the route that matched (not by the raw URL), so no spelling of a path slips past the key.
    if (request.method === "OPTIONS" || (request.routeOptions.url !== undefined && PUBLIC_PATHS.has(request.routeOptions.url))) return;
    if (!keys.accepts(request.headers.authorization)) {
      throw new HttpError(401, "invalid or missing API key (send Authorization: Bearer KEY)", "authentication_error", null, "invalid_api_key");
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const mapped = toOpenAiError(error);
    if (mapped.status >= 500) resolved.log(`gemma4 serve: ${request.method} ${request.url}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    void reply.code(mapped.status).headers(mapped.headers).send(mapped.body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { message: `no route for ${request.method} ${request.url.split("?")[0]}`, type: "not_found_error", param: null, code: "not_found" } });
  });

  const context: ServerContext = { model, options: resolved, queue, metrics };
  app.get("/health", async () => ({ status: "ok", model: resolved.modelId, active: queue.active, waiting: queue.waiting }));
  app.get("/metrics", async (_request, reply) => {
    void reply.type(metrics.contentType);
    return metrics.text();
  });
  if (resolved.chatPage) {
    app.get("/", async (_request, reply) => {
      void reply.type("text/html; charset=utf-8").header("content-security-policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'");
      return CHAT_PAGE_HTML;
    });
  }
  registerModelsRoute(app, context);
  registerCompletionsRoute(app, context);
  registerChatCompletionsRoute(app, context);
  registerEmbeddingsRoute(app, context);

  let url: string | null = null;
  return {
    app,
    options: resolved,
    metrics,
    queue,
    async listen() {
      if (url) return url;
      const address = await app.listen({ host: resolved.host, port: resolved.port }).catch((e: unknown) => {
        throw listenError(e, resolved.host, resolved.port);
      });
      if (!isLoopbackHost(resolved.host) && keys.open) {
        resolved.log(`gemma4 serve: WARNING: listening on ${resolved.host}, reachable from other machines, with no API key; pass --api-key or --api-key-file`);
      }
      const actual = app.server.address();
      const port = typeof actual === "object" && actual !== null ? actual.port : resolved.port;
      const host = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
      url = address && port ? `${resolved.tls ? "https" : "http"}://${host}:${port}` : address;
      return url;
    },
    async close() {
      const server = app.server as { closeAllConnections?: () => void };
      const closing = app.close();
      server.closeAllConnections?.();
      await closing;
    },
  };
}

/** Why the server could not listen, as the one line a user can act on (a port in use, a host not on this machine). */
function listenError(e: unknown, host: string, port: number): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  switch (code) {
    case "EADDRINUSE": return new BadRequestError(`cannot listen on ${where}: the port is in use (stop the other server, or pass --port)`, "port", { cause: e });
    case "EACCES": return new BadRequestError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges; pass --port)`, "port", { cause: e });
    case "EADDRNOTAVAIL": return new BadRequestError(`cannot listen on ${where}: ${host} is not an address of this machine`, "host", { cause: e });
    case "ENOTFOUND": case "EAI_AGAIN": return new BadRequestError(`cannot listen on ${where}: the host name ${JSON.stringify(host)} does not resolve`, "host", { cause: e });
    default: return e;
  }
}
