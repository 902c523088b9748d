import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BadFileError } from "../errors.js";
import { GEMMA4_MINI_DIR } from "../testing/tokenizer-fixtures.js";
import { ChatFormatter } from "./chat-formatter.js";
import { Tokenizer } from "./tokenizer.js";
import { readTokenizerFiles } from "./tokenizer-files.js";

describe("tokenizer folder files", () => {
  const root = mkdtempSync(join(tmpdir(), "gemma4-files-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const folder = (files: Record<string, string>): string => {
    const dir = join(root, String(n++));
    mkdirSync(dir);
    copyFileSync(join(GEMMA4_MINI_DIR, "tokenizer.json"), join(dir, "tokenizer.json"));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, ".."), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  };

  it("reads chat_template as a list of named templates, and chat_template.jinja over the config's", async () => {
    const list = await readTokenizerFiles(folder({ "tokenizer_config.json": JSON.stringify({ chat_template: [{ name: "default", template: "D" }, { name: "tool_use", template: "T" }] }) }));
    assert.deepEqual([...list.chatTemplates.values()].map((t) => [t.name, t.text]), [["default", "D"], ["tool_use", "T"]]);
    const both = await readTokenizerFiles(folder({
      "tokenizer_config.json": JSON.stringify({ chat_template: "from config" }),
      "chat_template.jinja": "from file",
      "additional_chat_templates/rag.jinja": "R",
    }));
    assert.deepEqual(Object.fromEntries([...both.chatTemplates].map(([k, v]) => [k, v.text])), { default: "from file", rag: "R" });
    assert.equal(both.tokenizerConfig["chat_template"], undefined);
  });

  it("uses special_tokens_map.json where tokenizer_config.json is silent, and AddedToken objects", async () => {
    const dir = folder({
      "special_tokens_map.json": JSON.stringify({ bos_token: { content: "<bos>", lstrip: false }, eos_token: "<eos>", pad_token: "<pad>" }),
      "tokenizer_config.json": JSON.stringify({ eos_token: { __type: "AddedToken", content: "<turn|>" }, boi_token: "<|tool>" }),
    });
    const tok = await Tokenizer.load(dir);
    assert.deepEqual([tok.special.bos, tok.special.eos, tok.special.pad], [2, 106, 0]);
    assert.deepEqual(tok.templateTokens, { bos_token: "<bos>", eos_token: "<turn|>", pad_token: "<pad>", boi_token: "<|tool>" });
  });

  it("renders with the named template transformers would pick", async () => {
    const dir = folder({ "tokenizer_config.json": JSON.stringify({ chat_template: [{ name: "default", template: "D{{ messages | length }}" }, { name: "tool_use", template: "T{{ tools | length }}" }] }) });
    const chat = new ChatFormatter(await Tokenizer.load(dir));
    const messages = [{ role: "user", content: "x" }];
    assert.equal(chat.render(messages), "D1");
    assert.equal(chat.render(messages, { tools: [{ type: "function", function: { name: "f" } }] }), "T1");
  });

  it("rejects malformed template entries and templates that do not parse", async () => {
    await assert.rejects(readTokenizerFiles(folder({ "tokenizer_config.json": JSON.stringify({ chat_template: [{ name: 1 }] }) })), BadFileError);
    await assert.rejects(readTokenizerFiles(folder({ "chat_template.json": "nope" })), BadFileError);
    const chat = new ChatFormatter(await Tokenizer.load(folder({ "chat_template.jinja": "{% for %}" })));
    assert.throws(() => chat.render([{ role: "user", content: "x" }]), (e) => e instanceof BadFileError && /chat_template\.jinja/.test(e.message));
  });
});
