import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../engine/rng.js";
import { BadRequestError } from "../errors.js";
import { chatRows, gemma3TemplateSource } from "../testing/tokenizer-fixtures.js";
import { JinjaChatTemplate } from "./chat-template.js";
import type { ChatMessage } from "./chat-types.js";
import { renderGemma3Chat } from "./gemma3-chat-format.js";

const TOKENS = { bos_token: "<bos>", eos_token: "<eos>" };

function outcome(run: () => string): string {
  try {
    return run();
  } catch (e) {
    assert.ok(e instanceof BadRequestError, String(e));
    return `error: ${e.message}`;
  }
}

describe("built-in Gemma 3 format", () => {
  it("matches every row of gemma3-chat.jsonl", () => {
    for (const row of chatRows("gemma3-chat.jsonl")) {
      assert.equal(renderGemma3Chat(row.messages, { addGenerationPrompt: row.add_generation_prompt }), row.rendered, JSON.stringify(row.messages));
    }
  });

  it("merges the system message into the first user turn, untrimmed, with a blank line", () => {
    assert.equal(
      renderGemma3Chat([{ role: "system", content: " Be brief " }, { role: "user", content: " Hi " }], { addGenerationPrompt: false }),
      "<bos><start_of_turn>user\n Be brief \n\nHi<end_of_turn>\n",
    );
  });

  it("rejects roles that do not alternate with the template's message", () => {
    const bad: ChatMessage[][] = [
      [{ role: "assistant", content: "first" }],
      [{ role: "user", content: "a" }, { role: "user", content: "b" }],
      [{ role: "system", content: "s" }, { role: "assistant", content: "a" }],
    ];
    for (const messages of bad) {
      assert.throws(() => renderGemma3Chat(messages), (e) => e instanceof BadRequestError && e.message === "chat template: Conversation roles must alternate user/assistant/user/assistant/...");
    }
  });

  it("agrees with the template (rendered by @huggingface/jinja) on 400 seeded random conversations, errors included", () => {
    const template = new JinjaChatTemplate(gemma3TemplateSource());
    const rng = new SeededRandom(3);
    const words = ["hi", " padded ", "a\nb", "é中😀", "{x}", "", "\t"];
    let errors = 0;
    for (let n = 0; n < 400; n++) {
      const messages: ChatMessage[] = [];
      if (rng.nextUint32() % 3 === 0) messages.push({ role: "system", content: rng.nextUint32() % 2 ? words[rng.nextUint32() % words.length]! : [{ type: "text", text: "sys" }] });
      const count = 1 + (rng.nextUint32() % 5);
      for (let i = 0; i < count; i++) {
        // Mostly alternating; sometimes not.
        const role = rng.nextUint32() % 8 === 0 ? ["user", "assistant", "model", "system"][rng.nextUint32() % 4]! : i % 2 === 0 ? "user" : "assistant";
        const content = rng.nextUint32() % 4 === 0
          ? [{ type: "text" as const, text: words[rng.nextUint32() % words.length]! }, { type: "image" as const }]
          : words[rng.nextUint32() % words.length]! + words[rng.nextUint32() % words.length]!;
        messages.push({ role, content });
      }
      const addGenerationPrompt = rng.nextUint32() % 2 === 0;
      const expected = outcome(() => template.render(messages, TOKENS, { addGenerationPrompt }));
      if (expected.startsWith("error")) errors++;
      assert.equal(outcome(() => renderGemma3Chat(messages, { addGenerationPrompt })), expected, JSON.stringify(messages));
    }
    assert.ok(errors > 20 && errors < 300, `${errors} error cases`);
  });
});
