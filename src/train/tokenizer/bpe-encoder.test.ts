import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Tokenizer } from "@huggingface/tokenizers";
import { PACKAGE_ROOT } from "../../testing/fixtures.js";
import { readJsonlDocuments } from "../data/jsonl-documents.js";
import { BpeEncoder } from "./bpe-encoder.js";
import { trainBpe } from "./bpe-trainer.js";
import { GEMMA4_RESERVED_TOKENS } from "./special-tokens.js";
import { buildTokenizerConfig, buildTokenizerJson } from "./tokenizer-files.js";
import { countTrainingPieces } from "./training-pieces.js";

const DEFAULT_DIR = join(PACKAGE_ROOT, "models", "default");
const VALIDATION = join(PACKAGE_ROOT, "data", "default-corpus", "validation.jsonl.gz");

const TRICKY_TEXTS = [
  "Hello world",
  " leading space, trailing space ",
  "  two  spaces   three    four",
  "digits 1790 and 2024: 3.14159, 1,000,000",
  "naïve café — “quotes” ‘single’ 😀 中文 e\u0301 Ω≈ç√",
  "line one\nline two\n\nparagraph\n\n\n\nmany newlines\r\nCRLF",
  "\ttab\t\tand mixed \t whitespace",
  "<|turn>user\nWhat is 2+2?<turn|>\n<|turn>model\n",
  "<bos>raw special<eos><pad><unk> text <|tool_call>call:f{a:<|\"|>x<|\"|>}<tool_call|>",
  "<|turn without close and <0x41> literal byte-token text",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "\u0000\u0001 control \u007f chars",
  // (A U+FEFF is encoded identically too, but the reference's decode drops it: its TextDecoder strips BOMs.)
];

/**
 * The held-out lines, with lines over 2,000 characters (each State of the Union address is one line) cut
 * before the space after each sentence end. The reference encoder's time grows faster than linearly with
 * a line's length; a cut before "▁" after a non-space is one no token crosses, so the cut pieces test
 * the same merges. GEMMA4_SLOW=1 checks the whole lines as well.
 */
async function heldOutLines(whole: boolean): Promise<string[]> {
  const lines: string[] = [];
  for await (const doc of readJsonlDocuments(VALIDATION)) {
    for (const line of doc.text.split("\n")) {
      if (line === "") continue;
      if (whole || line.length <= 2000) lines.push(line);
      else lines.push(...line.split(/(?<=[.!?]["')\]]?)(?= )/));
    }
  }
  return lines;
}

function loadDefault(): { json: Record<string, unknown>; config: Record<string, unknown> } {
  return {
    json: JSON.parse(readFileSync(join(DEFAULT_DIR, "tokenizer.json"), "utf8")) as Record<string, unknown>,
    config: JSON.parse(readFileSync(join(DEFAULT_DIR, "tokenizer_config.json"), "utf8")) as Record<string, unknown>,
  };
}

describe("BpeEncoder against @huggingface/tokenizers", () => {
  it("gives the same ids on a small freshly trained tokenizer", () => {
    const counts = new Map<string, number>();
    countTrainingPieces("The whale, the whale! Thou shalt not pass 1,000 whales. Ahab's   sea.\n\nThe end. ".repeat(30), counts);
    const trained = trainBpe(counts, { vocabSize: 360, reservedTokens: GEMMA4_RESERVED_TOKENS, minCharCount: 1, requiredChars: "" });
    const json = buildTokenizerJson(trained);
    const hf = new Tokenizer(json, buildTokenizerConfig({ modelMaxLength: 512 }));
    const ours = BpeEncoder.fromTokenizerJson(json);
    for (const text of [...TRICKY_TEXTS, "The whale, the whales 1000 sea.\n\n"]) assert.deepEqual(ours.encode(text), hf.encode(text).ids, JSON.stringify(text));
  });

  const checkHeldOut = async (whole: boolean): Promise<void> => {
    const { json, config } = loadDefault();
    const hf = new Tokenizer(json, config);
    const ours = BpeEncoder.fromTokenizerJson(json);
    const lines = await heldOutLines(whole);
    for (const line of lines) {
      const ids = hf.encode(line).ids;
      assert.deepEqual(ours.encode(line), ids, `line ${JSON.stringify(line.slice(0, 60))}`);
      assert.equal(hf.decode(ids), line);
    }
    assert.ok(lines.length > 1000, `only ${lines.length} lines`);
  };

  it("gives the same ids as the reference on every line of the held-out split, which round-trips exactly", () => checkHeldOut(false));

  it("does so on the uncut lines too (slow)", async (t) => {
    if (process.env["GEMMA4_SLOW"] !== "1") return t.skip("SKIPPED: whole 40 kB lines take the reference encoder ~30 s; set GEMMA4_SLOW=1");
    await checkHeldOut(true);
  });

  it("round-trips unicode (byte fallback), digits (one token each) and whitespace exactly", () => {
    const { json, config } = loadDefault();
    const hf = new Tokenizer(json, config);
    const ours = BpeEncoder.fromTokenizerJson(json);
    for (const text of TRICKY_TEXTS) {
      const ids = hf.encode(text).ids;
      assert.deepEqual(ours.encode(text), ids, JSON.stringify(text));
      assert.equal(hf.decode(ids), text, JSON.stringify(text));
    }
    const tokens = hf.encode("In 1790 we had 13 states").tokens;
    for (const digit of "17901" + "3") assert.ok(tokens.includes(digit));
    assert.ok(tokens.every((t: string) => !/\d\d/.test(t)), tokens.join("|"));
    const emoji = hf.encode("😀").tokens;
    assert.deepEqual(emoji, ["<0xF0>", "<0x9F>", "<0x98>", "<0x80>"]);
  });

  it("encodes every special and control token as one id, with no <bos> added", () => {
    const { json, config } = loadDefault();
    const hf = new Tokenizer(json, config);
    GEMMA4_RESERVED_TOKENS.forEach((token, id) => {
      assert.deepEqual(hf.encode(token).ids, [id], token);
      assert.equal(hf.token_to_id(token), id);
    });
    assert.notEqual(hf.encode("Once upon a time").ids[0], 2);
  });
});
