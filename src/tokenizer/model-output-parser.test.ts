import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../engine/rng.js";
import { GEMMA4_MINI_DIR } from "../testing/tokenizer-fixtures.js";
import { collectOutput, parseModelOutput, StreamingOutputParser, type OutputEvent } from "./model-output-parser.js";
import { StreamingDetokenizer } from "./streaming-detokenizer.js";
import { Tokenizer } from "./tokenizer.js";

const Q = '<|"|>';

describe("model output: answer, thinking and tool calls", () => {
  it("separates the thought channel from the answer and drops the end-of-turn marker", () => {
    assert.deepStrictEqual(parseModelOutput("<|channel>thought\nThe user greets.<channel|>Hello!<turn|>"), {
      content: "Hello!", reasoning: "The user greets.", toolCalls: [], invalidToolCalls: [],
    });
    assert.deepStrictEqual(parseModelOutput("Just text<eos>"), { content: "Just text", reasoning: null, toolCalls: [], invalidToolCalls: [] });
    assert.equal(parseModelOutput("<|channel>no prefix<channel|>x").reasoning, "no prefix");
    assert.equal(parseModelOutput("<|channel>thought\n<channel|>x").reasoning, "");
  });

  it("keeps unfinished thinking as reasoning (the budget ran out mid-thought)", () => {
    assert.deepStrictEqual(parseModelOutput("<|channel>thought\nstill thinking"), { content: "", reasoning: "still thinking", toolCalls: [], invalidToolCalls: [] });
  });

  it("can start inside a channel the prompt opened", () => {
    assert.deepStrictEqual(parseModelOutput("plan<channel|>answer", { startInReasoning: true }), { content: "answer", reasoning: "plan", toolCalls: [], invalidToolCalls: [] });
  });

  it("returns calls, and leaves tool responses and the trailing <|tool_response> out of the answer", () => {
    const out = parseModelOutput(`<|channel>thought\nneed weather<channel|><|tool_call>call:get_weather{location:${Q}Paris${Q}}<tool_call|><|tool_response>response:get_weather{t:21}<tool_response|>It is 21 C.<turn|>`);
    assert.equal(out.content, "It is 21 C.");
    assert.equal(out.reasoning, "need weather");
    assert.deepStrictEqual(out.toolCalls.map((c) => [c.name, c.arguments]), [["get_weather", { location: "Paris" }]]);
    assert.equal(parseModelOutput(`<|tool_call>call:f{}<tool_call|><|tool_response>`).content, "");
  });

  it("streams plain text at once, holds back a possible marker, and emits a call when it is complete", () => {
    const p = new StreamingOutputParser();
    assert.deepStrictEqual(p.push("Hello <|tool"), [{ type: "content", text: "Hello " }]);
    assert.deepStrictEqual(p.push("_call>call:f{a:"), []);
    assert.deepStrictEqual(p.push(`${Q}}<tool_call|>${Q}`), []); // the end marker is inside the string
    const done = p.push("}<tool_call|> bye <");
    assert.equal(done.length, 2);
    assert.deepEqual(done[0]!.type === "tool_call" && [done[0].call.name, done[0].call.arguments], ["f", { a: "}<tool_call|>" }]);
    assert.deepStrictEqual(done[1], { type: "content", text: " bye " });
    assert.deepStrictEqual(p.end(), [{ type: "content", text: "<" }]);
  });

  it("streams thinking as it comes", () => {
    const p = new StreamingOutputParser();
    assert.deepStrictEqual(p.push("<|channel>tho"), []);
    assert.deepStrictEqual(p.push("ught\nstep 1"), [{ type: "reasoning", text: "step 1" }]);
    assert.deepStrictEqual(p.push(" step 2<chan"), [{ type: "reasoning", text: " step 2" }]);
    assert.deepStrictEqual(p.push("nel|>Answer"), [{ type: "content", text: "Answer" }]);
  });

  it("gives the same result for every way of cutting the text into chunks (2,000 seeded cuts)", () => {
    const samples = [
      `<|channel>thought\nA<channel|>B<|tool_call>call:f{x:${Q}<tool_call|>${Q}}<tool_call|>C<|tool_call>call:g{y:[1,2]}<tool_call|><|tool_response>`,
      `text <|tool_call>call:bad{x:oops}<tool_call|> more<turn|>`,
      `<|tool_response>response:f{a:1}<tool_response|>after<|channel>t<channel|><|channel>thought\nsecond<channel|>end<eos>`,
      `<<|<|tool_call><|tool_call>call:f{}<tool_call|><channel|><|channel>`,
      `<|tool_call>call:f{s:${Q}unterminated`,
    ];
    const rng = new SeededRandom(5);
    for (let n = 0; n < 2000; n++) {
      const text = samples[n % samples.length]!;
      const p = new StreamingOutputParser();
      const events: OutputEvent[] = [];
      for (let i = 0; i < text.length; ) {
        const step = 1 + (rng.nextUint32() % 9);
        events.push(...p.push(text.slice(i, i + step)));
        i += step;
      }
      events.push(...p.end());
      assert.deepStrictEqual(collectOutput(events), parseModelOutput(text), text);
    }
  });

  it("works token by token behind the streaming detokenizer (the generation pipeline)", async () => {
    const tok = await Tokenizer.load(GEMMA4_MINI_DIR);
    const text = `<|channel>thought\nweather? é€<channel|>Checking.<|tool_call>call:get_weather{city:${Q}Zürich, "CH"${Q},days:2}<tool_call|><|tool_response>`;
    const ids = tok.encode(text);
    assert.ok(ids.includes(48) && ids.includes(52) && ids.includes(100), "markers are single control tokens");
    const detok = new StreamingDetokenizer(tok);
    const parser = new StreamingOutputParser();
    const events: OutputEvent[] = [];
    for (const id of ids) events.push(...parser.push(detok.push(id)));
    events.push(...parser.push(detok.flush()), ...parser.end());
    const out = collectOutput(events);
    assert.deepStrictEqual(out, parseModelOutput(text));
    assert.deepStrictEqual([out.reasoning, out.content, out.toolCalls[0]?.arguments], ["weather? é€", "Checking.", { city: 'Zürich, "CH"', days: 2 }]);
  });
});
