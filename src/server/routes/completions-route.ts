/**
 * `POST /v1/completions`: OpenAI's legacy text completion, on `Model.complete`. Prompts may be text or token
 * ids (one or several). A model served without a tokenizer still completes token-id prompts (through
 * `Model.stream`); its choices then have empty `text`. Every choice carries `token_ids` (an extension, as
 * vLLM's) so token-level clients need no tokenizer of their own.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { CompletionEvent } from "../../api/text-requests.js";
import type { Model } from "../../api/model.js";
import { BadRequestError, UnsupportedError } from "../../errors.js";
import type { GenerateOptions } from "../../engine/generate.js";
import { COMPLETION_REQUEST_SCHEMA, type CompletionBody } from "../completion-request-schema.js";
import { tokenBudget } from "../context-check.js";
import { GenerationScope } from "../generation-scope.js";
import { completionLogprobs, type TokenEvent } from "../logprob-entries.js";
import { logitBiasProcessor } from "../logit-bias.js";
import { samplingFromRequest } from "../sampling-from-request.js";
import { checkModelId, unixSeconds, type ServerContext } from "../server-context.js";
import { SseWriter } from "../sse-writer.js";
import { stopList } from "../schema-fragments.js";

const ROUTE = "/v1/completions";
/** OpenAI's default max_tokens for completions. */
const DEFAULT_MAX_TOKENS = 16;

function promptList(prompt: CompletionBody["prompt"]): (string | readonly number[])[] {
  if (typeof prompt === "string") return [prompt];
  if (prompt.length > 0 && typeof prompt[0] === "number") return [prompt as readonly number[]];
  return [...(prompt as readonly (string | readonly number[])[])];
}

/** Token-id generation as completion events, for a model with no tokenizer (no text, so no stop strings). */
async function* tokenIdCompletion(model: Model, prompt: readonly number[], options: GenerateOptions): AsyncGenerator<CompletionEvent> {
  let count = 0;
  let finishReason: "stop" | "length" = "length";
  for await (const token of model.stream(prompt, options)) {
    count++;
    yield { type: "token", id: token.id, piece: `token_id:${token.id}`, logprob: token.logprob, ...(token.top ? { top: token.top.map((t) => ({ ...t, piece: `token_id:${t.id}` })) } : {}) };
    if (token.finishReason) finishReason = token.finishReason;
  }
  yield { type: "done", finishReason, usage: { promptTokens: prompt.length, completionTokens: count } };
}

export function registerCompletionsRoute(app: FastifyInstance, context: ServerContext): void {
  const { model, options } = context;
  app.post<{ Body: CompletionBody }>(ROUTE, { schema: { body: COMPLETION_REQUEST_SCHEMA } }, async (request, reply) => {
    const body = request.body;
    checkModelId(context, body.model);
    if (body.echo) throw new UnsupportedError("echo is not supported");
    if (body.best_of != null && body.best_of !== (body.n ?? 1)) throw new BadRequestError("best_of must equal n (server-side ranking of extra samples is not supported)", "best_of");
    const prompts = promptList(body.prompt);
    const n = body.n ?? 1;
    const total = prompts.length * n;
    if (total > options.maxBatch) throw new BadRequestError(`prompts × n = ${total} choices exceeds this server's batch of ${options.maxBatch}`, "n");
    const stop = stopList(body.stop);
    const tokenizer = model.tokenizer;
    if (!tokenizer) {
      const textIndex = prompts.findIndex((p) => typeof p === "string");
      if (textIndex >= 0) throw new BadRequestError("this model is served without a tokenizer: send the prompt as token ids", typeof body.prompt === "string" ? "prompt" : `prompt[${textIndex}]`);
      if (stop.length > 0) throw new BadRequestError("stop strings need a tokenizer, which this model lacks; use stop_token_ids", "stop");
      if (body.presence_penalty || body.frequency_penalty) throw new UnsupportedError("presence_penalty and frequency_penalty need a tokenizer, which this model lacks");
    }
    const bias = logitBiasProcessor(body.logit_bias, model.config.vocabSize);
    const topLogprobs = body.logprobs ?? 0;
    const wantLogprobs = body.logprobs != null;
    const id = `cmpl-${randomUUID()}`;
    const created = unixSeconds();
    const base = { id, object: "text_completion" as const, created, model: options.modelId };

    const scope = new GenerationScope(context, reply, ROUTE);
    return scope.run(total, async () => {
      const generators = Array.from({ length: total }, (_, c) => {
        const prompt = prompts[Math.floor(c / n)]!;
        const common = {
          ...samplingFromRequest(body, model.generationDefaults, c % n),
          ...(body.stop_token_ids ? { stopTokenIds: body.stop_token_ids } : {}),
          ...(bias ? { logitsProcessors: [bias] } : {}),
          ...(topLogprobs > 0 ? { topLogprobs } : {}),
          signal: scope.signal,
        };
        if (!tokenizer) {
          const maxNewTokens = tokenBudget(prompt.length, body.max_tokens, options.maxContext, prompts.length > 1 ? `prompt[${Math.floor(c / n)}]` : "prompt", DEFAULT_MAX_TOKENS);
          return scope.track(tokenIdCompletion(model, prompt as readonly number[], { ...common, maxNewTokens }));
        }
        return scope.track(model.complete({
          ...common,
          prompt,
          maxNewTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS,
          ...(stop.length > 0 ? { stop } : {}),
          ...(body.presence_penalty != null ? { presencePenalty: body.presence_penalty } : {}),
          ...(body.frequency_penalty != null ? { frequencyPenalty: body.frequency_penalty } : {}),
        }));
      });
      const usages = generators.map(() => ({ promptTokens: 0, completionTokens: 0 }));
      const usageOut = () => {
        const promptTokens = usages.reduce((s, u, c) => s + (c % n === 0 ? u.promptTokens : 0), 0);
        const completionTokens = usages.reduce((s, u) => s + u.completionTokens, 0);
        return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
      };
      const onDone = (c: number, usage: { promptTokens: number; completionTokens: number }): void => {
        usages[c] = usage;
        context.metrics.promptTokens.inc({ route: ROUTE }, usage.promptTokens);
      };

      if (!body.stream) {
        const choices: unknown[] = [];
        await scope.eachChoice(total, async (c) => {
          const timing = scope.timing();
          const tokens: TokenEvent[] = [];
          let text = "";
          let finishReason = "length";
          for await (const event of generators[c]!) {
            if (event.type === "token") { timing.token(); tokens.push(event); }
            else if (event.type === "text") text += event.text;
            else { finishReason = event.finishReason; onDone(c, event.usage); }
          }
          choices[c] = { index: c, text, token_ids: tokens.map((t) => t.id), logprobs: wantLogprobs ? completionLogprobs(tokens, topLogprobs > 0) : null, finish_reason: finishReason };
        });
        return { ...base, choices, usage: usageOut() };
      }

      // Streaming: the first event of every choice is awaited before the 200 goes out, so a request that
      // fails during prefill (context, bad ids) still gets a proper error status.
      const firsts = await Promise.all(generators.map((g) => g.next()));
      const sse = new SseWriter(reply);
      sse.open();
      try {
        await scope.eachChoice(total, async (c) => {
          const timing = scope.timing();
          let pending: TokenEvent[] = [];
          let offset = 0;
          const send = async (text: string, finishReason: string | null): Promise<void> => {
            const logprobs = wantLogprobs ? completionLogprobs(pending, topLogprobs > 0, offset) : null;
            await sse.send({ ...base, choices: [{ index: c, text, token_ids: pending.map((t) => t.id), logprobs, finish_reason: finishReason }] });
            offset += text.length;
            pending = [];
          };
          let next = firsts[c]!;
          while (!next.done) {
            const event = next.value;
            if (event.type === "token") {
              timing.token();
              pending.push(event);
              // Without a tokenizer there are no text events: each token goes out on its own.
              if (!tokenizer) await send("", null);
            } else if (event.type === "text") {
              await send(event.text, null);
            } else {
              onDone(c, event.usage);
              await send("", event.finishReason);
            }
            next = await generators[c]!.next();
          }
        });
        if (body.stream_options?.include_usage) await sse.send({ ...base, choices: [], usage: usageOut() });
        await sse.done();
      } catch (e) {
        await scope.failStream(sse, e);
      }
      return reply;
    });
  });
}
