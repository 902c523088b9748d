import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { readHfConfig } from "../../formats/hf-config.js";
import { weightSpecs } from "../../model/weight-table.js";
import { PACKAGE_ROOT } from "../../testing/fixtures.js";

const DIR = join(PACKAGE_ROOT, "models", "default");
const readJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(DIR, name), "utf8")) as Record<string, unknown>;
const tokenizer = (): Tokenizer => new Tokenizer(readJson("tokenizer.json"), readJson("tokenizer_config.json"));

describe("models/default config draft", () => {
  it("loads as a Gemma 4 text model with sliding and full layers and the tokenizer's vocabulary", () => {
    const { config } = readHfConfig(DIR);
    assert.equal(config.family, "gemma4");
    assert.ok(config.layers.some((l) => l.kind === "sliding") && config.layers.some((l) => l.kind === "full"));
    assert.equal(config.layers[config.layers.length - 1]!.kind, "full");
    assert.equal(config.vocabSize, tokenizer().get_vocab(true).size);
    assert.equal(config.bosTokenId, 2);
    assert.equal(config.perLayerEmbedding, null);
  });

  it("has the parameter count worked out from config.json by hand, within 30 MB in float32", () => {
    const raw = readJson("config.json");
    const n = (k: string): number => raw[k] as number;
    const [V, H, I, nH, d, kv, gd, gkv] = [n("vocab_size"), n("hidden_size"), n("intermediate_size"), n("num_attention_heads"), n("head_dim"), n("num_key_value_heads"), n("global_head_dim"), n("num_global_key_value_heads")];
    let expected = V * H + H; // tied embedding, final norm
    for (const type of raw["layer_types"] as string[]) {
      const full = type === "full_attention";
      const hd = full ? gd : d, kvHeads = full ? gkv : kv;
      const kEqV = full && raw["attention_k_eq_v"] === true;
      expected += 2 * H * nH * hd + (kEqV ? 1 : 2) * H * kvHeads * hd + 2 * hd; // q, o, k (+v), q/k norms
      expected += 3 * H * I + 4 * H + 1; // gate, up, down; four norms; layer scalar
    }
    const { config } = readHfConfig(DIR);
    const counted = weightSpecs(config).reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(counted, expected);
    assert.ok(4 * counted <= 30e6, `${counted} parameters`);
  });

  it("stops generation on <eos>, <turn|> and <|tool_response>", () => {
    const eos = readJson("generation_config.json")["eos_token_id"] as number[];
    const t = tokenizer();
    assert.deepEqual(eos, ["<eos>", "<turn|>", "<|tool_response>"].map((s) => t.token_to_id(s)));
  });
});

describe("models/default chat template", () => {
  const template = new Template(readFileSync(join(DIR, "chat_template.jinja"), "utf8"));
  const messages = [
    { role: "system", content: "You are brief." },
    { role: "user", content: "Who was the first president?" },
    { role: "assistant", content: "George Washington." },
    { role: "user", content: "And the second?" },
  ];

  it("renders the Gemma 4 turn format, which tokenizes with every control token as one id", () => {
    const text = template.render({ messages, bos_token: "<bos>", add_generation_prompt: true });
    assert.ok(text.startsWith("<bos><|turn>system\nYou are brief.<turn|>\n<|turn>user\nWho was the first president?<turn|>\n"), text);
    // This (E2B/E4B) template version opens an empty thought channel when thinking is off (spec §4.13).
    assert.match(text, /<\|turn>model\n(<\|channel>thought\n<channel\|>)?$/);
    const t = tokenizer();
    const encoding = t.encode(text);
    assert.equal(encoding.ids[0], 2, "the template writes <bos>; the tokenizer adds none");
    assert.equal(encoding.ids.filter((id: number) => id === 2).length, 1);
    assert.equal(encoding.tokens.filter((tok: string) => tok === "<|turn>").length, 5);
    assert.equal(encoding.tokens.filter((tok: string) => tok === "<turn|>").length, 4);
    assert.equal(t.decode(encoding.ids), text);
  });
});
