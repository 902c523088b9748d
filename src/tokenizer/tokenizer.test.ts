import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BadFileError, BadPathError, BadRequestError } from "../errors.js";
import { GEMMA4_MINI_DIR, gemma3EncodingRows, loadGemma3Tokenizer } from "../testing/tokenizer-fixtures.js";
import { SeededRandom } from "../engine/rng.js";
import { ChatFormatter } from "./chat-formatter.js";
import { StreamingDetokenizer } from "./streaming-detokenizer.js";
import { Tokenizer } from "./tokenizer.js";

describe("Gemma 3 tokenizer against the Rust library (test/fixtures/tokenizer)", () => {
  const rows = gemma3EncodingRows();

  it("has the 98 fixture texts", () => assert.equal(rows.length, 98));

  it("encodes every text identically, with and without special tokens, with the same pieces", async () => {
    const tok = await loadGemma3Tokenizer();
    const mismatches: string[] = [];
    for (const row of rows) {
      const plain = tok.encodeWithPieces(row.text);
      if (JSON.stringify([...plain.ids]) !== JSON.stringify(row.ids)) mismatches.push(`ids: ${JSON.stringify(row.text.slice(0, 40))}`);
      if (JSON.stringify(plain.pieces) !== JSON.stringify(row.tokens)) mismatches.push(`pieces: ${JSON.stringify(row.text.slice(0, 40))}`);
      const special = tok.encode(row.text, { addSpecialTokens: true });
      if (JSON.stringify([...special]) !== JSON.stringify(row.ids_with_special)) mismatches.push(`special: ${JSON.stringify(row.text.slice(0, 40))}`);
    }
    assert.deepEqual(mismatches, []);
  });

  it("decodes every text identically", async () => {
    const tok = await loadGemma3Tokenizer();
    const mismatches = rows.filter((row) => tok.decode(row.ids) !== row.decoded).map((r) => r.text.slice(0, 40));
    assert.deepEqual(mismatches, []);
  });

  it("knows Gemma 3's control tokens by text (gemma-architecture.md §5)", async () => {
    const tok = await loadGemma3Tokenizer();
    assert.equal(tok.vocabSize, 262145);
    assert.equal(tok.special.turnStyle, "gemma3");
    assert.equal(tok.special.bos, 2);
    assert.equal(tok.special.endOfText, 1);
    assert.equal(tok.special.turnStart, 105);
    assert.equal(tok.special.turnEnd, 106);
    assert.equal(tok.special.toolCallStart, null);
    assert.equal(tok.tokenToId("<start_of_image>"), 255999);
    assert.equal(tok.idToToken(107), "\n");
    assert.deepEqual([...tok.special.stopTokenIds].sort((a, b) => a - b), [1, 106]);
    assert.equal(tok.isSpecial(105), true);
    assert.equal(tok.isSpecial(107), false);
    assert.equal(tok.addBosToken, true);
  });

  it("decodes an empty list to an empty string and rejects ids outside the vocabulary", async () => {
    const tok = await loadGemma3Tokenizer();
    assert.equal(tok.decode([]), "");
    assert.equal(tok.decode(new Int32Array(0)), "");
    assert.throws(() => tok.decode([262145]), BadRequestError);
    assert.throws(() => tok.decode([-1]), BadRequestError);
    assert.equal(tok.idToToken(262145), null);
  });

  it("skips special tokens on request", async () => {
    const tok = await loadGemma3Tokenizer();
    const ids = tok.encode("<bos><start_of_turn>user\nHi<end_of_turn>\n");
    assert.equal(tok.decode(ids), "<bos><start_of_turn>user\nHi<end_of_turn>\n");
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), "user\nHi\n");
  });

  it("decodes invalid byte runs as the Rust library does (one U+FFFD per byte)", async () => {
    const tok = await loadGemma3Tokenizer();
    const byte = (b: number): number => tok.tokenToId(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`)!;
    const a = tok.encode("a");
    assert.equal(tok.decode([byte(0xe2), byte(0x82), byte(0xac)]), "€");
    assert.equal(tok.decode([byte(0xe2), byte(0x82), ...a]), "\uFFFD\uFFFDa");
    assert.equal(tok.decode([byte(0xc3), byte(0xa9), byte(0x80)]), "\uFFFD\uFFFD\uFFFD");
    assert.equal(tok.decode([byte(0xef), byte(0xbb), byte(0xbf), ...a]), "\uFEFFa"); // a BOM is kept, as in Rust
  });

  it("gives a prompt exactly one bos, whether or not the text starts with one", async () => {
    const tok = await loadGemma3Tokenizer();
    const raw = tok.encodePrompt("Hello");
    assert.equal(raw[0], 2);
    assert.equal(raw.filter((id) => id === 2).length, 1);
    const templated = tok.encodePrompt("<bos><start_of_turn>user\nHello<end_of_turn>\n");
    assert.equal(templated[0], 2);
    assert.equal(templated.filter((id) => id === 2).length, 1);
  });
});

// Here rather than in streaming-detokenizer.test.ts so the 33 MB tokenizer loads in one test process only.
describe("StreamingDetokenizer on every fixture text, token by token", () => {
  const rows = gemma3EncodingRows();

  for (const skipSpecialTokens of [false, true]) {
    it(`concatenates to decode(allIds) and releases text as soon as it is final (skipSpecialTokens ${skipSpecialTokens})`, async () => {
      const tok = await loadGemma3Tokenizer();
      let checkedTokens = 0;
      for (const row of rows) {
        const ids = row.ids_with_special;
        const stream = new StreamingDetokenizer(tok, { skipSpecialTokens });
        let emitted = "";
        for (let k = 0; k < ids.length; k++) {
          emitted += stream.push(ids[k]!);
          // As soon as final: everything decoded so far, except an unfinished byte run at the end.
          const sofar = tok.decode(ids.slice(0, k + 1), { skipSpecialTokens });
          if (!sofar.endsWith("\uFFFD")) assert.equal(emitted, sofar, `${JSON.stringify(row.text.slice(0, 30))} after token ${k}`);
          else assert.ok(sofar.startsWith(emitted), `held back a partial byte run in ${JSON.stringify(row.text.slice(0, 30))}`);
          checkedTokens++;
        }
        emitted += stream.flush();
        assert.equal(emitted, tok.decode(ids, { skipSpecialTokens }), JSON.stringify(row.text.slice(0, 40)));
        if (!skipSpecialTokens) assert.equal(emitted, "<bos>" + row.decoded);
      }
      assert.ok(checkedTokens > 4500, `checked ${checkedTokens} tokens`);
    });
  }

  it("also on seeded random text heavy in byte-fallback tokens (rare scripts, emoji, controls)", async () => {
    const tok = await loadGemma3Tokenizer();
    const rng = new SeededRandom(7);
    const ranges = [[0x20, 0x7e], [0x0, 0x1f], [0x80, 0x7ff], [0x3000, 0x9fff], [0x13000, 0x1342f], [0x1f300, 0x1faff], [0xe000, 0xf8ff], [0x10000, 0x10ffff]] as const;
    let byteTokens = 0;
    for (let n = 0; n < 150; n++) {
      let text = "";
      const length = 1 + (rng.nextUint32() % 40);
      for (let i = 0; i < length; i++) {
        const [lo, hi] = ranges[rng.nextUint32() % ranges.length]!;
        const cp = lo + (rng.nextUint32() % (hi - lo + 1));
        if (cp < 0xd800 || cp > 0xdfff) text += String.fromCodePoint(cp);
      }
      const ids = tok.encode(text);
      byteTokens += [...ids].filter((id) => /^<0x/.test(tok.idToToken(id) ?? "")).length;
      const stream = new StreamingDetokenizer(tok);
      let emitted = "";
      for (const id of ids) {
        const piece = stream.push(id);
        assert.ok(!piece.includes("\uFFFD"), "a partial UTF-8 sequence was released");
        emitted += piece;
      }
      emitted += stream.flush();
      assert.equal(emitted, tok.decode(ids));
      assert.equal(emitted, text);
    }
    assert.ok(byteTokens > 1000, `only ${byteTokens} byte tokens`);
  });
});

describe("Gemma 4 layout (test/fixtures/tokenizer/gemma4-mini)", () => {
  it("finds the Gemma 4 control tokens at their ids (gemma-architecture.md §4.12)", async () => {
    const tok = await Tokenizer.load(GEMMA4_MINI_DIR);
    const s = tok.special;
    assert.equal(s.turnStyle, "gemma4");
    assert.deepEqual(
      [s.pad, s.endOfText, s.bos, s.toolStart, s.toolEnd, s.toolCallStart, s.toolCallEnd, s.toolResponseStart, s.toolResponseEnd, s.stringDelimiter, s.think, s.channelStart, s.channelEnd, s.turnStart, s.turnEnd],
      [0, 1, 2, 46, 47, 48, 49, 50, 51, 52, 98, 100, 101, 105, 106],
    );
    assert.deepEqual([...s.stopTokenIds].sort((a, b) => a - b), [1, 50, 106]);
    assert.equal(tok.addBosToken, false);
  });

  it("never adds a bos on plain encodes; a chat prompt has exactly the template's one", async () => {
    const tok = await Tokenizer.load(GEMMA4_MINI_DIR);
    assert.equal(tok.encode("the cat", { addSpecialTokens: true }).includes(2), false);
    const raw = tok.encodePrompt("the cat");
    assert.deepEqual([raw[0], raw.filter((id) => id === 2).length], [2, 1]);
    const chat = new ChatFormatter(tok);
    const ids = chat.encode([{ role: "user", content: "Hi" }]);
    assert.equal(chat.source, "template");
    assert.deepEqual([ids[0], ids.filter((id) => id === 2).length], [2, 1]);
    assert.equal(tok.decode(ids), "<bos><|turn>user\nHi<turn|>\n<|turn>model\n<|channel>thought\n<channel|>");
  });
});

describe("tokenizer folder errors are one-line typed errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "gemma4-tok-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const oneLine = (e: unknown): boolean => e instanceof Error && !e.message.includes("\n");

  it("a missing folder or a folder without tokenizer.json is a BadPathError", async () => {
    await assert.rejects(Tokenizer.load(join(dir, "nope")), (e) => e instanceof BadPathError && oneLine(e));
    mkdirSync(join(dir, "empty"));
    await assert.rejects(Tokenizer.load(join(dir, "empty")), (e) => e instanceof BadPathError && /tokenizer\.json/.test((e as Error).message));
    writeFileSync(join(dir, "file"), "x");
    await assert.rejects(Tokenizer.load(join(dir, "file")), BadPathError);
  });

  it("corrupt JSON or a JSON that is no tokenizer is a BadFileError naming the file", async () => {
    mkdirSync(join(dir, "corrupt"));
    writeFileSync(join(dir, "corrupt", "tokenizer.json"), '{"model": ');
    await assert.rejects(Tokenizer.load(join(dir, "corrupt")), (e) => e instanceof BadFileError && /tokenizer\.json/.test((e as Error).message) && oneLine(e));
    mkdirSync(join(dir, "wrong"));
    writeFileSync(join(dir, "wrong", "tokenizer.json"), "{}");
    await assert.rejects(Tokenizer.load(join(dir, "wrong")), (e) => e instanceof BadFileError && oneLine(e));
    mkdirSync(join(dir, "badconfig"));
    copyFileSync(join(GEMMA4_MINI_DIR, "tokenizer.json"), join(dir, "badconfig", "tokenizer.json"));
    writeFileSync(join(dir, "badconfig", "tokenizer_config.json"), "[1, 2]");
    await assert.rejects(Tokenizer.load(join(dir, "badconfig")), (e) => e instanceof BadFileError && /tokenizer_config\.json/.test((e as Error).message));
    writeFileSync(join(dir, "badconfig", "tokenizer_config.json"), JSON.stringify({ chat_template: 42 }));
    await assert.rejects(Tokenizer.load(join(dir, "badconfig")), (e) => e instanceof BadFileError && /chat_template/.test((e as Error).message));
  });

  it("a folder with only tokenizer.json loads (no config, no template)", async () => {
    mkdirSync(join(dir, "bare"));
    copyFileSync(join(GEMMA4_MINI_DIR, "tokenizer.json"), join(dir, "bare", "tokenizer.json"));
    const tok = await Tokenizer.load(join(dir, "bare"));
    assert.equal(tok.chatTemplates.size, 0);
    assert.equal(tok.special.bos, 2);
    assert.equal(new ChatFormatter(tok).source, "builtin-gemma4");
  });
});
