import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PACKAGE_ROOT } from "../../testing/fixtures.js";
import { IGNORE_TARGET } from "../autograd/cross-entropy.js";
import { loadTextTokenizer } from "../load-text-tokenizer.js";
import { lossMaskPath, openExamples } from "./example-source.js";
import { prepareTrainingData } from "./prepare-training-data.js";

const work = mkdtempSync(join(tmpdir(), "gemma4-data-"));
after(() => rmSync(work, { recursive: true, force: true }));
const tokenizer = await loadTextTokenizer(join(PACKAGE_ROOT, "models", "default"));

describe("training data preparation", () => {
  it("chat JSONL: loss only on the model's text and its closing <turn|>", async () => {
    const input = join(work, "chat.jsonl");
    const conversations = [
      { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello to Ruth." }, { role: "assistant", content: "Hello, Ruth!" }] },
      { messages: [{ role: "user", content: "Count to three." }, { role: "assistant", content: "one, two" }, { role: "user", content: "More." }, { role: "assistant", content: "three." }] },
    ];
    writeFileSync(input, conversations.map((c) => JSON.stringify(c)).join("\n") + "\n");
    const prepared = await prepareTrainingData(input, join(work, "chat.tokens"), tokenizer);
    assert.equal(prepared.documents, 2);
    assert.ok(prepared.masked && existsSync(lossMaskPath(prepared.path)));
    const expectTrained = ["Hello, Ruth!<turn|>", "one, two<turn|>", "three.<turn|>"].reduce((n, t) => n + tokenizer.encode(t).length, 0);
    assert.equal(prepared.trainableTokens, expectTrained);
    // The stream: each document <bos> … <eos>; the mask file has one byte per stream token.
    assert.equal(readFileSync(lossMaskPath(prepared.path)).length, prepared.tokens);
    const examples = openExamples({ path: prepared.path, sequenceLength: prepared.tokens - 1 });
    const { targets } = examples.example(0);
    examples.close();
    assert.equal(targets.filter((t) => t !== IGNORE_TARGET).length, expectTrained);
  });

  it("text JSONL and .txt: every token carries loss, no mask file", async () => {
    const jsonl = join(work, "text.jsonl");
    writeFileSync(jsonl, JSON.stringify({ text: "Call me Ishmael." }) + "\n" + JSON.stringify({ text: "In the beginning." }) + "\n");
    const a = await prepareTrainingData(jsonl, join(work, "text.tokens"), tokenizer);
    assert.equal(a.documents, 2);
    assert.ok(!a.masked && !existsSync(lossMaskPath(a.path)));
    const txt = join(work, "plain.txt");
    writeFileSync(txt, "first line\nsecond line\n");
    const b = await prepareTrainingData(txt, join(work, "plain.tokens"), tokenizer);
    assert.equal(b.documents, 1);
    assert.equal(b.tokens, tokenizer.encode("first line\n").length + tokenizer.encode("second line\n").length + 2);
  });

  it("rejects lines that are neither text nor chat, naming the line", async () => {
    const bad = join(work, "bad.jsonl");
    writeFileSync(bad, JSON.stringify({ text: "ok" }) + "\n" + JSON.stringify({ prompt: "x" }) + "\n");
    await assert.rejects(prepareTrainingData(bad, join(work, "bad.tokens"), tokenizer), /line 2 has neither/);
    assert.ok(!existsSync(join(work, "bad.tokens")), "no half-written output");
  });
});
