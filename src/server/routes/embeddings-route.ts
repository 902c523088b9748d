/**
 * `POST /v1/embeddings`: `Model.embed` — the mean over positions of the last hidden state (after the final
 * norm), L2-normalised; text is encoded with one <bos>, token-id inputs are used as given. Vectors go out as
 * JSON numbers or, with `encoding_format: "base64"` (what the official clients ask for), as base64 of
 * little-endian float32s.
 */
import type { FastifyInstance } from "fastify";
import { BadRequestError } from "../../errors.js";
import { GenerationScope } from "../generation-scope.js";
import { MODEL_PROPERTY } from "../schema-fragments.js";
import { checkModelId, type ServerContext } from "../server-context.js";

const ROUTE = "/v1/embeddings";
export const MAX_EMBEDDING_INPUTS = 256;

interface EmbeddingBody {
  readonly model: string;
  readonly input: string | readonly string[] | readonly number[] | readonly (readonly number[])[];
  readonly encoding_format?: "float" | "base64";
  readonly dimensions?: number;
  readonly user?: string;
}

const tokenIds = { type: "array", items: { type: "integer", minimum: 0, maximum: 2147483647 }, minItems: 1 } as const;

const EMBEDDING_REQUEST_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["model", "input"],
  properties: {
    model: MODEL_PROPERTY,
    input: {
      anyOf: [
        { type: "string", minLength: 1 },
        { type: "array", items: { type: "string", minLength: 1 }, minItems: 1, maxItems: MAX_EMBEDDING_INPUTS },
        tokenIds,
        { type: "array", items: tokenIds, minItems: 1, maxItems: MAX_EMBEDDING_INPUTS },
      ],
    },
    encoding_format: { enum: ["float", "base64"] },
    dimensions: { type: "integer", minimum: 1 },
    user: { type: "string", maxLength: 256 },
  },
} as const;

function inputList(input: EmbeddingBody["input"]): (string | readonly number[])[] {
  if (typeof input === "string") return [input];
  if (input.length > 0 && typeof input[0] === "number") return [input as readonly number[]];
  return [...(input as readonly (string | readonly number[])[])];
}

export function registerEmbeddingsRoute(app: FastifyInstance, context: ServerContext): void {
  const { model, options } = context;
  app.post<{ Body: EmbeddingBody }>(ROUTE, { schema: { body: EMBEDDING_REQUEST_SCHEMA } }, async (request, reply) => {
    const body = request.body;
    checkModelId(context, body.model);
    const H = model.config.hiddenDim;
    if (body.dimensions !== undefined && body.dimensions !== H) throw new BadRequestError(`dimensions must be ${H} (this model's hidden size) or left out`, "dimensions");
    const inputs = inputList(body.input);
    const promptTokens = inputs.reduce((sum, input) => sum + (typeof input === "string" ? model.tokenizer?.encodePrompt(input).length ?? 0 : input.length), 0);
    const scope = new GenerationScope(context, reply, ROUTE);
    const vectors = await scope.run(1, () => model.embed(inputs));
    context.metrics.promptTokens.inc({ route: ROUTE }, promptTokens);
    return {
      object: "list",
      data: vectors.map((v, index) => ({
        object: "embedding",
        index,
        embedding: body.encoding_format === "base64" ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") : Array.from(v),
      })),
      model: options.modelId,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    };
  });
}
