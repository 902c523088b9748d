import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chatRows, gemma4TemplateSource } from "../testing/tokenizer-fixtures.js";
import { JinjaChatTemplate } from "./chat-template.js";
import type { ChatMessage, ChatToolResponse } from "./chat-types.js";
import { parseModelOutput } from "./model-output-parser.js";
import { toolResponseContinuation, toolResultValue } from "./tool-response.js";

const TOKENS = { bos_token: "<bos>", eos_token: "<eos>" };

describe("tool responses continue the model turn", () => {
  it("writes what the template writes after the calls (fixture row with a pending answer)", () => {
    for (const row of chatRows("gemma4-chat.jsonl")) {
      const last = row.messages[row.messages.length - 1]!;
      if (!last.tool_responses || last.content) continue;
      // The model emitted `<|tool_response>` (a stop token); the host appends the rest.
      const continuation = toolResponseContinuation(last.tool_responses);
      assert.ok(row.rendered!.endsWith("<tool_call|><|tool_response>" + continuation), row.template);
      assert.ok(continuation.startsWith("response:search_docs{value:["));
    }
  });

  it("makes live generation and the re-rendered history agree (E2B/E4B template, thinking on and off)", () => {
    const template = new JinjaChatTemplate(gemma4TemplateSource("gemma4-e-it.jinja"));
    const responses: ChatToolResponse[] = [{ name: "get_weather", response: { temperature: 21, sky: "clear" } }, { name: "get_time", response: "12:00" }];
    const modelCalls = '<|tool_call>call:get_weather{location:<|"|>Paris<|"|>}<tool_call|><|tool_call>call:get_time{}<tool_call|>';
    for (const enableThinking of [false, true]) {
      const user: ChatMessage[] = [{ role: "user", content: "Weather and time in Paris?" }];
      const prompt = template.render(user, TOKENS, { enableThinking });
      const live = prompt + modelCalls + "<|tool_response>" + toolResponseContinuation(responses, { enableThinking });
      const { toolCalls } = parseModelOutput(modelCalls + "<|tool_response>");
      const history: ChatMessage[] = [...user, {
        role: "assistant",
        tool_calls: toolCalls.map((c) => ({ type: "function", function: { name: c.name, arguments: c.arguments } })),
        tool_responses: responses,
      }];
      const rerendered = template.render(history, TOKENS, { enableThinking });
      // The history drops the empty thought channel of the first generation prompt; from the calls on they agree.
      const tail = (s: string): string => s.slice(s.indexOf("<|tool_call>"));
      assert.equal(tail(live), tail(rerendered), `enableThinking ${enableThinking}`);
    }
  });

  it("includes the opener when the model did not emit it", () => {
    assert.equal(toolResponseContinuation([{ name: "f", response: 1 }], { openerEmitted: false, enableThinking: true }), "<|tool_response>response:f{value:1}<tool_response|>");
  });

  it("uses a tool's text result as JSON when it is JSON", () => {
    assert.deepStrictEqual(toolResultValue('{"t": 21}'), { t: 21 });
    assert.equal(toolResultValue("sunny"), "sunny");
  });
});
