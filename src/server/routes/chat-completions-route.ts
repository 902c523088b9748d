/** `POST /v1/chat/completions` (placeholder until the chat layer lands). */
import type { FastifyInstance } from "fastify";
import { UnsupportedError } from "../../errors.js";
import { CHAT_REQUEST_SCHEMA, type ChatBody } from "../chat-request-schema.js";
import { checkModelId, type ServerContext } from "../server-context.js";

export function registerChatCompletionsRoute(app: FastifyInstance, context: ServerContext): void {
  app.post<{ Body: ChatBody }>("/v1/chat/completions", { schema: { body: CHAT_REQUEST_SCHEMA } }, async (request) => {
    checkModelId(context, request.body.model);
    throw new UnsupportedError("chat completions need the chat layer");
  });
}
