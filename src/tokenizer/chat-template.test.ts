import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadFileError, BadRequestError } from "../errors.js";
import { chatRows, gemma3TemplateSource, gemma4TemplateSource } from "../testing/tokenizer-fixtures.js";
import { JinjaChatTemplate, selectChatTemplate } from "./chat-template.js";
import { normalizeTools } from "./tool-definitions.js";
import type { ChatTemplateSource } from "./tokenizer-files.js";

const TOKENS = { bos_token: "<bos>", eos_token: "<eos>", pad_token: "<pad>", unk_token: "<unk>" };
const source = (text: string, name = "default"): ChatTemplateSource => ({ name, text, path: `test:${name}` });

describe("model chat templates render as Python jinja2 does (test/fixtures/chat)", () => {
  it("Gemma 3 template: every row of gemma3-chat.jsonl", () => {
    const template = new JinjaChatTemplate(gemma3TemplateSource());
    const rows = chatRows("gemma3-chat.jsonl");
    assert.equal(rows.length, 12);
    for (const row of rows) {
      const run = (): string => template.render(row.messages, TOKENS, { addGenerationPrompt: row.add_generation_prompt });
      if (row.error !== undefined) assert.throws(run, BadRequestError);
      else assert.equal(run(), row.rendered, JSON.stringify(row.messages));
    }
  });

  for (const file of ["gemma4-e-it.jinja", "gemma4-31b-it.jinja"] as const) {
    it(`Gemma 4 template ${file}: every row of gemma4-chat.jsonl`, () => {
      const template = new JinjaChatTemplate(gemma4TemplateSource(file));
      const rows = chatRows("gemma4-chat.jsonl").filter((r) => r.template === file);
      assert.equal(rows.length, 8);
      for (const row of rows) {
        const out = template.render(row.messages, TOKENS, {
          tools: row.tools ?? null,
          addGenerationPrompt: row.add_generation_prompt,
          ...(row.enable_thinking === undefined ? {} : { enableThinking: row.enable_thinking }),
        });
        assert.equal(out, row.rendered, JSON.stringify(row.messages));
      }
    });
  }

  it("raise_exception becomes a one-line BadRequestError with the template's message", () => {
    const template = new JinjaChatTemplate(gemma3TemplateSource());
    assert.throws(
      () => template.render([{ role: "user", content: "a" }, { role: "user", content: "b" }], TOKENS),
      (e) => e instanceof BadRequestError && e.message === "chat template: Conversation roles must alternate user/assistant/user/assistant/...",
    );
  });

  it("passes special tokens, extra variables, tools (None when absent) and strftime_now", () => {
    const t = new JinjaChatTemplate(source("{{ bos_token }}|{{ eos_token }}|{{ tools is none }}|{{ enable_thinking is defined }}|{{ custom }}|{{ strftime_now('%Y-%m-%d %b') }}|{{ range(3) | length }}"));
    const expected = (now: Date): string => {
      const date = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
      const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][now.getMonth()];
      return `<bos>|<eos>|true|false|x|${date} ${month}|3`;
    };
    const before = expected(new Date());
    const rendered = t.render([], TOKENS, { variables: { custom: "x" } });
    const after = expected(new Date()); // midnight may pass while it renders
    assert.ok(rendered === before || rendered === after, rendered);
    const withTools = new JinjaChatTemplate(source("{{ tools | length }}{{ enable_thinking }}{{ add_generation_prompt }}"));
    assert.equal(withTools.render([], TOKENS, { tools: [{ type: "function", function: { name: "f" } }], enableThinking: false, addGenerationPrompt: false }), "1falsefalse");
  });

  it("a template that does not parse is a BadFileError; one that fails on the messages a BadRequestError", () => {
    assert.throws(() => new JinjaChatTemplate(source("{% if %}")), (e) => e instanceof BadFileError && !e.message.includes("\n"));
    const t = new JinjaChatTemplate(source("{{ messages[0]['content'] | unknownfilter }}"));
    assert.throws(() => t.render([{ role: "user", content: "x" }], TOKENS), BadRequestError);
  });

  it("picks named templates as transformers does", () => {
    const templates = new Map([["default", source("d")], ["tool_use", source("t", "tool_use")]]);
    const tools = [{ type: "function" as const, function: { name: "f" } }];
    assert.equal(selectChatTemplate(templates)?.text, "d");
    assert.equal(selectChatTemplate(templates, { tools })?.text, "t");
    assert.equal(selectChatTemplate(templates, { templateName: "default", tools })?.text, "d");
    assert.throws(() => selectChatTemplate(templates, { templateName: "nope" }), BadRequestError);
    assert.equal(selectChatTemplate(new Map([["tool_use", source("t")]])), null);
  });

  it("accepts bare function tools and rejects nameless ones", () => {
    assert.deepEqual(normalizeTools([{ name: "f", parameters: {} } as never]), [{ type: "function", function: { name: "f", parameters: {} } }]);
    assert.throws(() => normalizeTools([{ type: "function", function: {} } as never]), BadRequestError);
  });
});
