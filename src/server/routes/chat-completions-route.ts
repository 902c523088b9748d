/**
 * `POST /v1/chat/completions`: OpenAI chat on `Model.chat`. Answers as one JSON object or as server-sent
 * events (`stream: true`, with `stream_options.include_usage`); thinking comes back as `reasoning_content`,
 * calls as `tool_calls` (arguments as JSON text), and with `logprobs` each token's log-probability and its
 * top alternatives, in the order the tokens were generated.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { BadRequestError } from "../../errors.js";
import type { ChatEvent } from "../../engine/chat-generation.js";
import { chatRequestFromBody } from "../chat-request-from-body.js";
import { CHAT_REQUEST_SCHEMA, type ChatBody } from "../chat-request-schema.js";
import { GenerationScope } from "../generation-scope.js";
import { chatLogprobEntry, type ChatLogprobEntry } from "../logprob-entries.js";
import { logitBiasProcessor } from "../logit-bias.js";
import { checkModelId, unixSeconds, type ServerContext } from "../server-context.js";
import { SseWriter } from "../sse-writer.js";

const ROUTE = "/v1/chat/completions";

interface ToolCallOut {
  readonly id: string;
  readonly type: "function";
  readonly function: { readonly name: string; readonly arguments: string };
}

type Usage = { promptTokens: number; completionTokens: number };

function toolCallOut(event: Extract<ChatEvent, { type: "tool_call" }>): ToolCallOut {
  return { id: `call_${randomBytes(12).toString("hex")}`, type: "function", function: { name: event.call.name, arguments: JSON.stringify(event.call.arguments) } };
}

export function registerChatCompletionsRoute(app: FastifyInstance, context: ServerContext): void {
  const { model, options } = context;
  app.post<{ Body: ChatBody }>(ROUTE, { schema: { body: CHAT_REQUEST_SCHEMA } }, async (request, reply) => {
    const body = request.body;
    checkModelId(context, body.model);
    const n = body.n ?? 1;
    if (n > options.maxBatch) throw new BadRequestError(`n = ${n} exceeds this server's batch of ${options.maxBatch}`, "n");
    if (body.top_logprobs != null && body.top_logprobs > 0 && !body.logprobs) throw new BadRequestError("top_logprobs needs logprobs: true", "top_logprobs");
    const bias = logitBiasProcessor(body.logit_bias, model.config.vocabSize);
    const wantLogprobs = body.logprobs === true;
    const id = `chatcmpl-${randomUUID()}`;
    const created = unixSeconds();
    const base = { id, object: "chat.completion.chunk" as const, created, model: options.modelId, system_fingerprint: null };

    const scope = new GenerationScope(context, reply, ROUTE);
    return scope.run(n, async () => {
      const generators = Array.from({ length: n }, (_, c) => scope.track(model.chat(chatRequestFromBody(body, model.generationDefaults, c, scope.signal, bias ? [bias] : []))));
      const usages: (Usage | null)[] = generators.map(() => null);
      const recordDone = (c: number, usage: Usage): void => {
        usages[c] = usage;
        context.metrics.promptTokens.inc({ route: ROUTE }, usage.promptTokens);
      };
      const usageOut = () => {
        const promptTokens = usages[0]?.promptTokens ?? 0;
        const completionTokens = usages.reduce((s, u) => s + (u?.completionTokens ?? 0), 0);
        return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
      };

      if (!body.stream) {
        const choices: unknown[] = [];
        await scope.eachChoice(n, async (c) => {
          const timing = scope.timing();
          let content = "";
          let reasoning = "";
          const toolCalls: ToolCallOut[] = [];
          const logprobs: ChatLogprobEntry[] = [];
          let finishReason = "length";
          for await (const event of generators[c]!) {
            switch (event.type) {
              case "token": timing.token(); if (wantLogprobs) logprobs.push(chatLogprobEntry(event)); break;
              case "content": content += event.text; break;
              case "reasoning": reasoning += event.text; break;
              case "tool_call": toolCalls.push(toolCallOut(event)); break;
              // A call that does not parse stays visible as text rather than vanishing.
              case "invalid_tool_call": content += event.call.raw; break;
              case "done": finishReason = event.finishReason; recordDone(c, event.usage); break;
              default: { const never: never = event; throw new Error(`unknown chat event ${JSON.stringify(never)}`); }
            }
          }
          choices[c] = {
            index: c,
            message: {
              role: "assistant",
              content: content === "" && toolCalls.length > 0 ? null : content,
              refusal: null,
              ...(reasoning ? { reasoning_content: reasoning } : {}),
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            },
            logprobs: wantLogprobs ? { content: logprobs, refusal: null } : null,
            finish_reason: finishReason,
          };
        });
        return { id, object: "chat.completion", created, model: options.modelId, system_fingerprint: null, choices, usage: usageOut() };
      }

      // Streaming. The first event of every choice (its first token, after prefill) is awaited before the
      // 200 goes out, so a request the model refuses (context, template) still gets a proper error status.
      const firsts = await Promise.all(generators.map((g) => g.next()));
      const sse = new SseWriter(reply);
      sse.open();
      const includeUsage = body.stream_options?.include_usage === true;
      const chunk = (c: number, delta: Record<string, unknown>, logprobs: ChatLogprobEntry[] | null, finishReason: string | null = null) => ({
        ...base,
        choices: [{ index: c, delta, logprobs: logprobs && logprobs.length > 0 ? { content: logprobs, refusal: null } : null, finish_reason: finishReason }],
        ...(includeUsage ? { usage: null } : {}),
      });
      try {
        await scope.eachChoice(n, async (c) => {
          const timing = scope.timing();
          let pending: ChatLogprobEntry[] = [];
          const take = (): ChatLogprobEntry[] | null => { if (!wantLogprobs) return null; const out = pending; pending = []; return out; };
          let calls = 0;
          await sse.send(chunk(c, { role: "assistant", content: "" }, null));
          let next = firsts[c]!;
          while (!next.done) {
            const event = next.value;
            switch (event.type) {
              case "token": timing.token(); if (wantLogprobs) pending.push(chatLogprobEntry(event)); break;
              case "content": await sse.send(chunk(c, { content: event.text }, take())); break;
              case "reasoning": await sse.send(chunk(c, { reasoning_content: event.text }, take())); break;
              case "tool_call": {
                const call = toolCallOut(event);
                await sse.send(chunk(c, { tool_calls: [{ index: calls++, ...call }] }, take()));
                break;
              }
              case "invalid_tool_call": await sse.send(chunk(c, { content: event.call.raw }, take())); break;
              case "done": recordDone(c, event.usage); await sse.send(chunk(c, {}, take(), event.finishReason)); break;
              default: { const never: never = event; throw new Error(`unknown chat event ${JSON.stringify(never)}`); }
            }
            next = await generators[c]!.next();
          }
        });
        if (includeUsage) await sse.send({ ...base, choices: [], usage: usageOut() });
        await sse.done();
      } catch (e) {
        await scope.failStream(sse, e);
      }
      return reply;
    });
  });
}
