import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../engine/rng.js";
import { chatRows } from "../testing/tokenizer-fixtures.js";
import type { JsonObject } from "./chat-types.js";
import { collectOutput, parseModelOutput, StreamingOutputParser, type OutputEvent } from "./model-output-parser.js";
import { parseToolCalls, type InvalidToolCall, type ToolCall } from "./tool-call-parser.js";

const Q = '<|"|>';

function valid(calls: readonly (ToolCall | InvalidToolCall)[]): { name: string; arguments: JsonObject }[] {
  return calls.map((c) => {
    assert.equal(c.type, "tool_call", c.type === "invalid_tool_call" ? c.error : "");
    return { name: c.name!, arguments: (c as ToolCall).arguments };
  });
}

describe("Gemma 4 tool-call parser", () => {
  it("recovers exactly the calls in the chat fixtures", () => {
    let found = 0;
    for (const row of chatRows("gemma4-chat.jsonl")) {
      const expected = row.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => ({ name: c.function.name, arguments: c.function.arguments as JsonObject })));
      const { calls } = parseToolCalls(row.rendered!);
      assert.deepStrictEqual(valid(calls), expected, row.template);
      found += calls.length;
    }
    assert.equal(found, 4);
  });

  it("reads several calls in a row, with text around them", () => {
    const text = `Let me check.<|tool_call>call:get_weather{location:${Q}Paris${Q}}<tool_call|>\n<|tool_call>call:ns.search-docs{limit:3,query:${Q}a${Q}}<tool_call|>done`;
    const { calls, content } = parseToolCalls(text);
    assert.deepStrictEqual(valid(calls), [
      { name: "get_weather", arguments: { location: "Paris" } },
      { name: "ns.search-docs", arguments: { limit: 3, query: "a" } },
    ]);
    assert.equal(content, "Let me check.\ndone");
  });

  it("keeps strings whole whatever they hold, including text that looks like the end of a call", () => {
    const tricky = 'he said "}<tool_call|>" then {a:1}, [x] and\nnew: lines <|tool_call>call:f{';
    const text = `<|tool_call>call:note{text:${Q}${tricky}${Q},n:-2.5e3,ok:false,none:null,deep:{list:[1,{k:${Q},${Q}}],e:{}}}<tool_call|>`;
    assert.deepStrictEqual(valid(parseToolCalls(text).calls), [
      { name: "note", arguments: { text: tricky, n: -2500, ok: false, none: null, deep: { list: [1, { k: "," }], e: {} } } },
    ]);
  });

  it("turns malformed calls into structured errors, keeps their text, and goes on", () => {
    const text = [
      "A",
      `<|tool_call>get_weather{}<tool_call|>`, // no call: prefix
      "B",
      `<|tool_call>call:{x:1}<tool_call|>`, // no name
      "C",
      `<|tool_call>call:f{x:celsius}<tool_call|>`, // unquoted string
      "D",
      `<|tool_call>call:g{y:1}<|tool_call>call:h{z:2}<tool_call|>`, // first not closed
      "E",
      `<|tool_call>call:open{s:${Q}never closed`,
    ].join("");
    const { calls, content } = parseToolCalls(text);
    assert.deepEqual(calls.map((c) => (c.type === "tool_call" ? `ok:${c.name}` : `${c.code}:${c.name}`)), [
      "missing_call_prefix:null", "bad_name:null", "bad_arguments:f", "unterminated:g", "ok:h", "unterminated:open",
    ]);
    assert.equal(content, "ABCDE");
    assert.equal(content.length + calls.reduce((n, c) => n + c.raw.length, 0), text.length, "nothing dropped");
    for (const c of calls) if (c.type === "invalid_tool_call") assert.ok(c.error.length > 0 && !c.error.includes("\n"), c.error);
  });

  it("survives 5,000 seeded mutations of valid calls: only results or structured errors, nothing lost, one-shot = streamed", () => {
    const rng = new SeededRandom(99);
    const seeds = [
      `<|tool_call>call:get_weather{location:${Q}Paris${Q},unit:${Q}celsius${Q}}<tool_call|>`,
      `x<|tool_call>call:f{a:[1,2,{b:${Q}}<tool_call|>${Q}}],c:true,d:null,e:-1.5e-3}<tool_call|>y<|tool_call>call:g{}<tool_call|>`,
      `<|channel>thought\nplan<channel|>ok<|tool_call>call:h{q:${Q}a,b${Q}}<tool_call|><|tool_response>`,
    ];
    const alphabet = ["{", "}", "[", "]", ",", ":", Q, "<|", "|>", "<tool_call|>", "<|tool_call>", "call:", "<channel|>", "<|channel>", "a", "1", "-", ".", "e", " ", "\n", '"', "\\", "null", "tru"];
    let invalid = 0;
    let validCalls = 0;
    for (let n = 0; n < 5000; n++) {
      let text = seeds[rng.nextUint32() % seeds.length]!;
      for (let m = 1 + (rng.nextUint32() % 4); m > 0; m--) {
        const at = rng.nextUint32() % (text.length + 1);
        const op = rng.nextUint32() % 4;
        if (op === 0) text = text.slice(0, at) + text.slice(at + 1 + (rng.nextUint32() % 5));
        else if (op === 1) text = text.slice(0, at) + alphabet[rng.nextUint32() % alphabet.length] + text.slice(at);
        else if (op === 2) text = text.slice(0, at);
        else text = text.slice(0, at) + text.slice(rng.nextUint32() % text.length);
      }
      const { calls, content } = parseToolCalls(text);
      assert.equal(content.length + calls.reduce((k, c) => k + c.raw.length, 0), text.length, JSON.stringify(text));
      for (const c of calls) {
        if (c.type === "tool_call") {
          validCalls++;
          assert.ok(typeof c.name === "string" && c.name.length > 0 && typeof c.arguments === "object" && !Array.isArray(c.arguments));
        } else {
          invalid++;
          assert.ok(["missing_call_prefix", "bad_name", "bad_arguments", "unterminated"].includes(c.code) && typeof c.error === "string" && c.raw.startsWith("<|tool_call>"));
        }
      }
      const whole = parseModelOutput(text);
      const parser = new StreamingOutputParser();
      const events: OutputEvent[] = [];
      for (let i = 0; i < text.length; ) {
        const step = 1 + (rng.nextUint32() % 7);
        events.push(...parser.push(text.slice(i, i + step)));
        i += step;
      }
      events.push(...parser.end());
      assert.deepStrictEqual(collectOutput(events), whole, JSON.stringify(text));
    }
    assert.ok(invalid > 1000 && validCalls > 1000, `${invalid} invalid, ${validCalls} valid`);
  });
});
