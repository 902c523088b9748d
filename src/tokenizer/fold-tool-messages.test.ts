import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadRequestError } from "../errors.js";
import { foldToolMessages } from "./fold-tool-messages.js";

describe("OpenAI tool messages → Gemma tool_responses", () => {
  it("attaches results to the calling assistant message, matched by id or in order", () => {
    const folded = foldToolMessages([
      { role: "user", content: "weather and time?" },
      { role: "assistant", content: "", tool_calls: [
        { id: "a", type: "function", function: { name: "weather", arguments: { city: "Oslo" } } },
        { id: "b", type: "function", function: { name: "time", arguments: "{}" } },
      ] },
      { role: "tool", tool_call_id: "b", content: "12:00" },
      { role: "tool", tool_call_id: "a", content: '{"temp": 3}' },
      { role: "user", content: "thanks" },
    ]);
    assert.equal(folded.length, 3);
    assert.deepEqual(folded[1]!.tool_responses, [{ name: "time", response: "12:00" }, { name: "weather", response: { temp: 3 } }]);
    const ordered = foldToolMessages([
      { role: "assistant", tool_calls: [{ function: { name: "f", arguments: {} } }, { function: { name: "g", arguments: {} } }] },
      { role: "tool", content: "1" },
      { role: "tool", content: "2" },
    ]);
    assert.deepEqual(ordered[0]!.tool_responses, [{ name: "f", response: 1 }, { name: "g", response: 2 }]);
  });

  it("rejects results that answer nothing", () => {
    assert.throws(() => foldToolMessages([{ role: "user", content: "x" }, { role: "tool", content: "1" }]), BadRequestError);
    assert.throws(() => foldToolMessages([{ role: "assistant", tool_calls: [{ id: "a", function: { name: "f", arguments: {} } }] }, { role: "tool", tool_call_id: "zz", content: "1" }]), /matches none/);
  });
});
