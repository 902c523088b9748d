/** `gemma4 serve MODEL`: the OpenAI-compatible HTTP server with continuous batching and the web chat page. */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { createSecureContext } from "node:tls";
import { BadFileError, BadPathError } from "../../errors.js";
import { readApiKeyFile } from "../../server/api-key-check.js";
import { createServer } from "../../server/create-server.js";
import { SERVER_DEFAULTS } from "../../server/server-options.js";
import type { CliCommand } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { UsageError, modelOrDefault, numberFlag, parseCommandLine } from "../command.js";
import { MODEL_FLAGS, loadCliModel } from "../model-options.js";

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new BadPathError(path, `cannot read --${flag} (${(e as NodeJS.ErrnoException).code ?? "error"})`, { cause: e });
  }
}

/** A certificate and key Node's TLS cannot use are a one-line error before the model loads, not a stack at listen. */
function checkTlsPair(tls: { cert: Buffer; key: Buffer }, certPath: string, keyPath: string): void {
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (e) {
    throw new BadFileError(`${certPath} + ${keyPath}`, `not a usable PEM certificate and private key (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

/** The id clients send as "model": the folder's name, or the Hub reference as typed. */
function modelIdOf(reference: string): string {
  const id = /^(hf:)?[\w.-]+\/[\w.-]+(@[\w.-]+)?$/.test(reference) ? reference.replace(/^hf:/, "") : basename(reference.replace(/[\\/]+$/, ""));
  return id.replace(/[^\w.:@/-]/g, "_").slice(0, 200) || "gemma4";
}

export const serveCommand: CliCommand = {
  name: "serve",
  summary: "serve a model over an OpenAI-compatible HTTP API, with a web chat page",
  usage: `usage: gemma4 serve MODEL [--host 127.0.0.1] [--port 8080] [--api-key KEY | --api-key-file F]
                   [--ctx N] [--max-batch N] [--max-batch-tokens N] [--max-queue N] [--max-body-bytes N]
                   [--tls-cert F --tls-key F] [--cors ORIGIN]… [--model-id ID] [--backend NAME]

  Endpoints: POST /v1/chat/completions, /v1/completions, /v1/embeddings; GET /v1/models, /health,
  /metrics (Prometheus); the chat page at /. Requests are batched continuously (--max-batch at once,
  --max-queue more waiting, then 429 with Retry-After).
  --host          address to bind (default ${SERVER_DEFAULTS.host}; a public address warns when no key is set)
  --api-key       require "Authorization: Bearer KEY" (or --api-key-file: one key per line; the key is
                  kept out of the process list that way). GEMMA4_API_KEY is read too.
  --ctx           most tokens per request, prompt + max_tokens (default: the model's context)
  --max-batch     requests generating at once (default ${SERVER_DEFAULTS.maxBatch})
  --max-batch-tokens  most tokens per forward pass, prefill chunks included (default ${SERVER_DEFAULTS.maxBatchTokens})
  --max-queue     requests waiting beyond those (default ${SERVER_DEFAULTS.maxQueue})
  --cors          allow this browser origin (repeatable; "*" for any)
  --tls-cert/--tls-key  PEM files: serve HTTPS`,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      ...MODEL_FLAGS,
      host: { type: "string" },
      port: { type: "string" },
      "api-key": { type: "string" },
      "api-key-file": { type: "string" },
      "max-batch": { type: "string" },
      "max-batch-tokens": { type: "string" },
      "max-queue": { type: "string" },
      "max-body-bytes": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      cors: { type: "string", multiple: true },
      "model-id": { type: "string" },
    });
    const reference = modelOrDefault(positionals, values.model, defaultModelDir);
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    const port = numberFlag("port", values.port, { min: 0, max: 65535, integer: true });
    const maxBatch = numberFlag("max-batch", values["max-batch"], { min: 1, max: 1024, integer: true });
    const maxBatchTokens = numberFlag("max-batch-tokens", values["max-batch-tokens"], { min: 1, integer: true });
    const maxQueue = numberFlag("max-queue", values["max-queue"], { min: 0, integer: true });
    const maxBodyBytes = numberFlag("max-body-bytes", values["max-body-bytes"], { min: 1024, integer: true });
    if (values["api-key"] !== undefined && values["api-key-file"] !== undefined) throw new UsageError("give --api-key or --api-key-file, not both", "api-key");
    if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) throw new UsageError("--tls-cert and --tls-key go together", "tls-cert");
    const envKey = process.env["GEMMA4_API_KEY"];
    const apiKeys = values["api-key-file"] !== undefined ? readApiKeyFile(values["api-key-file"])
      : values["api-key"] !== undefined ? [values["api-key"]]
      : envKey ? [envKey] : [];
    const tls = values["tls-cert"] !== undefined && values["tls-key"] !== undefined
      ? { cert: readPem("tls-cert", values["tls-cert"]), key: readPem("tls-key", values["tls-key"]) }
      : undefined;
    if (tls) checkTlsPair(tls, values["tls-cert"]!, values["tls-key"]!);

    const model = await loadCliModel(reference, values);
    const server = await createServer(model, {
      modelId: values["model-id"] ?? modelIdOf(reference),
      apiKeys,
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(maxBatch !== undefined ? { maxBatch } : {}),
      ...(maxBatchTokens !== undefined ? { maxBatchTokens } : {}),
      ...(maxQueue !== undefined ? { maxQueue } : {}),
      ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
      ...(values.cors !== undefined ? { corsOrigins: values.cors } : {}),
      ...(tls ? { tls } : {}),
    });
    const url = await server.listen();
    console.error(`gemma4 serve: ${server.options.modelId} at ${url}/v1 (chat page: ${url}/, context ${server.options.maxContext}, batch ${server.options.maxBatch}, queue ${server.options.maxQueue}${apiKeys.length ? ", API key required" : ""})`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        console.error("gemma4 serve: shutting down");
        void server.close().finally(() => { model.dispose(); resolve(); });
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
  },
};
