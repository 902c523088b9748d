/** What every route handler gets: the model, the resolved options, the admission queue and the metrics. */
import type { Model } from "../api/model.js";
import type { AdmissionQueue } from "./admission-queue.js";
import { HttpError } from "./openai-error.js";
import type { ServerMetrics } from "./server-metrics.js";
import type { ResolvedServerOptions } from "./server-options.js";

export interface ServerContext {
  readonly model: Model;
  readonly options: ResolvedServerOptions;
  readonly queue: AdmissionQueue;
  readonly metrics: ServerMetrics;
}

/**
 * The served model is fixed at start: a request names it by id and nothing else. Any other name — and so
 * any path — is a 404 and never reaches the filesystem.
 */
export function checkModelId(context: ServerContext, requested: string): void {
  if (requested !== context.options.modelId) {
    throw new HttpError(404, `the model ${JSON.stringify(requested.slice(0, 200))} does not exist; this server serves ${JSON.stringify(context.options.modelId)}`,
      "invalid_request_error", "model", "model_not_found");
  }
}

/** Seconds since the epoch, as OpenAI's `created` fields are. */
export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
