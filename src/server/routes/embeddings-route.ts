/** `POST /v1/embeddings` (placeholder until Model.embed lands). */
import type { FastifyInstance } from "fastify";
import { UnsupportedError } from "../../errors.js";
import type { ServerContext } from "../server-context.js";

export function registerEmbeddingsRoute(app: FastifyInstance, _context: ServerContext): void {
  app.post("/v1/embeddings", async () => {
    throw new UnsupportedError("embeddings need Model.embed");
  });
}
