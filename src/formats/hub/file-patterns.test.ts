import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_INCLUDE_PATTERNS, filePatternFilter, patternToRegExp } from "./file-patterns.js";

describe("file patterns (Python fnmatch semantics, as huggingface_hub's allow/ignore patterns)", () => {
  // Expected values are what Python's fnmatch.fnmatchcase returns for these pairs.
  const cases: [string, string, boolean][] = [
    ["*.json", "config.json", true],
    ["*.json", "sub/config.json", true], // fnmatch's * crosses '/'
    ["*.json", "config.jsonl", false],
    ["config.json", "sub/config.json", false],
    ["model-?????-of-*.safetensors", "model-00001-of-00002.safetensors", true],
    ["[mt]*.json", "tokenizer.json", true],
    ["[!mt]*.json", "tokenizer.json", false],
    ["[!mt]*.json", "config.json", true],
    ["gguf/", "gguf/model-Q4_0.gguf", true], // a trailing '/' means everything below
    ["*Q4_K_M.gguf", "gemma-Q4_K_M.gguf", true],
    ["a[b", "a[b", true], // an unclosed '[' is literal
    ["a.b", "axb", false], // '.' is literal
    ["(x)+", "(x)+", true],
    ["*.JSON", "config.json", false], // case-sensitive on POSIX
  ];
  for (const [pattern, path, expected] of cases) {
    it(`${pattern} ${expected ? "matches" : "does not match"} ${path}`, () => {
      assert.equal(patternToRegExp(pattern).test(path), expected);
    });
  }

  it("selects by default what a text model needs and nothing else", () => {
    const selects = filePatternFilter({ include: DEFAULT_INCLUDE_PATTERNS, exclude: [] });
    const files = ["config.json", "generation_config.json", "model.safetensors", "model-00001-of-00002.safetensors", "model.safetensors.index.json",
      "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
      "README.md", ".gitattributes", "model.gguf", "pytorch_model.bin", "tokenizer.model", "original/params.json"];
    assert.deepEqual(files.filter(selects), files.slice(0, 9));
  });

  it("applies excludes after includes", () => {
    const selects = filePatternFilter({ include: ["*"], exclude: ["*.bin", "original/"] });
    assert.deepEqual(["a.json", "b.bin", "original/x.json"].filter(selects), ["a.json"]);
  });
});
