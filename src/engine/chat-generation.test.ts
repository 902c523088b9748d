import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChatOutputAssembler, type ChatEvent } from "./chat-generation.js";

function run(text: string, prompt = { text: "", forcedAnswerStart: "", startsInReasoning: false }, chunk = 3): ChatEvent[] {
  const a = new ChatOutputAssembler(prompt);
  const events: ChatEvent[] = [];
  for (let i = 0; i < text.length; i += chunk) events.push(...a.push(text.slice(i, i + chunk)));
  events.push(...a.end());
  return events;
}

const join = (events: ChatEvent[], type: "content" | "reasoning"): string => events.filter((e) => e.type === type).map((e) => (e as { text: string }).text).join("");

describe("chat output assembly", () => {
  it("separates reasoning, content and numbered tool calls", () => {
    const events = run('<|channel>thought\nLet me check.<channel|>Sure.<|tool_call>call:get_weather{city:<|"|>Paris<|"|>}<tool_call|><|tool_call>call:get_time{}<tool_call|>');
    assert.equal(join(events, "reasoning"), "Let me check.");
    assert.equal(join(events, "content"), "Sure.");
    const calls = events.filter((e) => e.type === "tool_call");
    assert.deepEqual(calls.map((c) => c.type === "tool_call" && [c.index, c.call.name, c.call.arguments]), [[0, "get_weather", { city: "Paris" }], [1, "get_time", {}]]);
  });

  it("a forced call start (tool_choice) is part of the answer", () => {
    const forced = '<|tool_call>call:lookup{';
    const events = run('q:<|"|>x<|"|>}<tool_call|>', { text: "…" + forced, forcedAnswerStart: forced, startsInReasoning: false });
    const call = events.find((e) => e.type === "tool_call");
    assert.ok(call && call.type === "tool_call" && call.call.name === "lookup" && call.call.arguments["q"] === "x");
  });

  it("a prompt that opens a thought channel starts in reasoning; a broken call is an error event, not a crash", () => {
    const events = run("thinking...<channel|>done<|tool_call>call:f{a:<tool_call|>", { text: "", forcedAnswerStart: "", startsInReasoning: true });
    assert.equal(join(events, "reasoning"), "thinking...");
    assert.equal(join(events, "content"), "done");
    assert.ok(events.some((e) => e.type === "invalid_tool_call"));
  });
});
