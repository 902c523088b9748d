/** `GET /v1/models` and `GET /v1/models/:model`: the one model this server serves. */
import type { FastifyInstance } from "fastify";
import { checkModelId, type ServerContext } from "../server-context.js";

export function registerModelsRoute(app: FastifyInstance, context: ServerContext): void {
  const created = Math.floor(Date.now() / 1000);
  const entry = () => ({
    id: context.options.modelId,
    object: "model" as const,
    created,
    owned_by: "gemma4",
    context_length: context.options.maxContext,
  });
  app.get("/v1/models", async () => ({ object: "list", data: [entry()] }));
  // A wildcard: model ids may contain "/" (org/name).
  app.get<{ Params: { "*": string } }>("/v1/models/*", async (request) => {
    checkModelId(context, request.params["*"]);
    return entry();
  });
}
