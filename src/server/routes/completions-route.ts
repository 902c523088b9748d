/**
 * `POST /v1/completions`: OpenAI's legacy text completion. Prompts may be token ids (one list or several),
 * which needs no tokenizer; then each choice also carries `token_ids` (an extension, as vLLM's) and its
 * `text` is decoded only when the model has a tokenizer.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { BadRequestError, UnsupportedError } from "../../errors.js";
import type { GeneratedToken } from "../../engine/generate.js";
import { COMPLETION_REQUEST_SCHEMA, type CompletionBody } from "../completion-request-schema.js";
import { tokenBudget } from "../context-check.js";
import { GenerationScope } from "../generation-scope.js";
import { logitBiasProcessor } from "../logit-bias.js";
import { toOpenAiError } from "../openai-error.js";
import { samplingFromRequest } from "../sampling-from-request.js";
import { checkModelId, unixSeconds, type ServerContext } from "../server-context.js";
import { SseWriter } from "../sse-writer.js";
import { stopList } from "../schema-fragments.js";

const ROUTE = "/v1/completions";
/** OpenAI's default max_tokens for completions. */
const DEFAULT_MAX_TOKENS = 16;

type FinishReason = "stop" | "length";

interface ChoiceResult {
  tokenIds: number[];
  logprobs: number[];
  finishReason: FinishReason;
}

function promptList(prompt: CompletionBody["prompt"]): (string | readonly number[])[] {
  if (typeof prompt === "string") return [prompt];
  if (prompt.length > 0 && typeof prompt[0] === "number") return [prompt as readonly number[]];
  return [...(prompt as readonly (string | readonly number[])[])];
}

export function registerCompletionsRoute(app: FastifyInstance, context: ServerContext): void {
  const { model, options } = context;
  app.post<{ Body: CompletionBody }>(ROUTE, { schema: { body: COMPLETION_REQUEST_SCHEMA } }, async (request, reply) => {
    const body = request.body;
    checkModelId(context, body.model);
    if (body.echo) throw new UnsupportedError("echo is not supported");
    if (body.best_of != null && body.best_of !== (body.n ?? 1)) throw new BadRequestError("best_of must equal n (server-side ranking of extra samples is not supported)", "best_of");
    if (body.presence_penalty || body.frequency_penalty) throw new UnsupportedError("presence_penalty and frequency_penalty need the chat layer, which this build lacks");
    const prompts = promptList(body.prompt).map((p, i) => {
      if (typeof p === "string") throw new BadRequestError("this model is served without a tokenizer: send the prompt as token ids", typeof body.prompt === "string" ? "prompt" : `prompt[${i}]`);
      return Int32Array.from(p);
    });
    if (stopList(body.stop).length > 0) throw new BadRequestError("stop strings need a tokenizer; use stop_token_ids", "stop");
    const n = body.n ?? 1;
    const total = prompts.length * n;
    if (total > options.maxBatch) throw new BadRequestError(`prompts × n = ${total} choices exceeds this server's batch of ${options.maxBatch}`, "n");
    const budgets = prompts.map((p, i) => tokenBudget(p.length, body.max_tokens, options.maxContext, prompts.length > 1 ? `prompt[${i}]` : "prompt", DEFAULT_MAX_TOKENS));
    const bias = logitBiasProcessor(body.logit_bias, model.config.vocabSize);
    const stopTokenIds = body.stop_token_ids ?? undefined;
    const id = `cmpl-${randomUUID()}`;
    const created = unixSeconds();
    const wantLogprobs = body.logprobs != null;

    const scope = new GenerationScope(context, reply, ROUTE);
    return scope.run(total, async () => {
      const generators = Array.from({ length: total }, (_, c) => {
        const p = Math.floor(c / n);
        return scope.track(model.stream(prompts[p]!, {
          ...samplingFromRequest(body, c % n),
          maxNewTokens: budgets[p]!,
          ...(stopTokenIds ? { stopTokenIds } : {}),
          ...(bias ? { logitsProcessors: [bias] } : {}),
          signal: scope.signal,
        }));
      });
      for (const p of prompts) context.metrics.promptTokens.inc({ route: ROUTE }, p.length * n);
      const logprobsOf = (tokens: readonly GeneratedToken[]) => wantLogprobs
        ? { tokens: tokens.map((t) => `token_id:${t.id}`), token_logprobs: tokens.map((t) => t.logprob), top_logprobs: null, text_offset: tokens.map(() => 0) }
        : null;

      if (!body.stream) {
        const results: ChoiceResult[] = [];
        await scope.eachChoice(total, async (c) => {
          const timing = scope.timing();
          const result: ChoiceResult = { tokenIds: [], logprobs: [], finishReason: "length" };
          for await (const token of generators[c]!) {
            timing.token();
            result.tokenIds.push(token.id);
            result.logprobs.push(token.logprob);
            if (token.finishReason) result.finishReason = token.finishReason;
          }
          results[c] = result;
        });
        const completionTokens = results.reduce((s, r) => s + r.tokenIds.length, 0);
        const promptTokens = prompts.reduce((s, p) => s + p.length, 0);
        return {
          id, object: "text_completion", created, model: options.modelId,
          choices: results.map((r, index) => ({
            index,
            text: "",
            token_ids: r.tokenIds,
            logprobs: logprobsOf(r.tokenIds.map((tid, i) => ({ id: tid, logprob: r.logprobs[i]! }))),
            finish_reason: r.finishReason,
          })),
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        };
      }

      // Streaming: the first token of every choice is awaited before the 200 goes out, so a request that
      // fails during prefill still gets a proper error status.
      const timings = generators.map(() => scope.timing());
      const firsts = await Promise.all(generators.map((g) => g.next()));
      const sse = new SseWriter(reply);
      sse.open();
      let completionTokens = 0;
      try {
        await scope.eachChoice(total, async (c) => {
          let next = firsts[c]!;
          while (!next.done) {
            const token = next.value;
            timings[c]!.token();
            completionTokens++;
            await sse.send({
              id, object: "text_completion", created, model: options.modelId,
              choices: [{ index: c, text: "", token_ids: [token.id], logprobs: logprobsOf([token]), finish_reason: token.finishReason ?? null }],
            });
            if (token.finishReason) break;
            next = await generators[c]!.next();
          }
        });
        if (body.stream_options?.include_usage) {
          const promptTokens = prompts.reduce((s, p) => s + p.length, 0);
          await sse.send({ id, object: "text_completion", created, model: options.modelId, choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } });
        }
        await sse.done();
      } catch (e) {
        // The 200 is out: the error can only be told in the stream (OpenAI's clients raise it).
        if (!scope.connection.gone) {
          options.log(`gemma4 serve: ${ROUTE} stream failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
          await sse.fail(toOpenAiError(e).body);
        }
      }
      return reply;
    });
  });
}
