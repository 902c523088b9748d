// Checks the constraint against ajv (an independent JSON Schema validator) on the fixture schemas, over a
// byte-level vocabulary: known-valid instances are accepted (compact and pretty-printed), and random walks
// through the allowed bytes always end in a document that JSON.parse reads and ajv validates. Then, on a
// vocabulary of JSON fragments that span several elements (`"},{"`, `": [`), every mask along random
// walks is compared with a brute-force check of every token.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { FIXTURES } from "../../testing/fixtures.js";
import { ArrayTokenByteVocabulary } from "./token-byte-vocabulary.js";
import { TokenTrie } from "./token-trie.js";
import { compileJsonSchema } from "./json-schema-compiler.js";
import { JsonSchemaConstraint } from "./json-schema-constraint.js";
import { PushdownMatcher } from "./pushdown-matcher.js";

interface Fixture {
  readonly name: string;
  readonly schema: Record<string, unknown>;
  readonly valid: readonly unknown[];
}

const fixtures = JSON.parse(readFileSync(join(FIXTURES, "structured", "schemas.json"), "utf8")) as Fixture[];
const EOS = 256;
const trie = TokenTrie.build(new ArrayTokenByteVocabulary([...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), null], [EOS]));
const encoder = new TextEncoder();
const ajv = new Ajv({ strictTypes: false, strictTuples: false, strictNumbers: true });

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

function acceptsText(c: JsonSchemaConstraint, text: string): boolean {
  for (const b of encoder.encode(text)) {
    if (!c.isAllowed(b)) return false;
    c.accept(b);
  }
  return c.isComplete();
}

describe("fixture schemas against ajv (byte vocabulary)", () => {
  for (const fixture of fixtures) {
    it(`${fixture.name}: valid instances are accepted, random walks validate`, () => {
      const validate = ajv.compile(fixture.schema);
      const grammar = compileJsonSchema(fixture.schema);
      for (const instance of fixture.valid) {
        assert.ok(validate(instance), `fixture instance is valid: ${ajv.errorsText(validate.errors)}`);
        assert.ok(acceptsText(JsonSchemaConstraint.create(grammar, trie), JSON.stringify(instance)), JSON.stringify(instance));
        assert.ok(acceptsText(JsonSchemaConstraint.create(grammar, trie), JSON.stringify(instance, null, 2)), "pretty-printed");
      }
      const random = mulberry32(fixture.name.length * 7919);
      for (let run = 0; run < 40; run++) {
        const c = JsonSchemaConstraint.create(grammar, trie);
        const bytes: number[] = [];
        while (!c.isFinished()) {
          if (bytes.length === 60) c.forceCompletion();
          const mask = c.currentMask();
          const ids = mask.ids as Int32Array; // a 257-token vocabulary always gets an id list
          const id = ids[Math.floor(random() * ids.length)] as number;
          c.accept(id);
          if (id !== EOS) bytes.push(id);
          assert.ok(bytes.length < 60 + 2000, "terminates");
        }
        const text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
        const value: unknown = JSON.parse(text);
        assert.ok(validate(value), `${text}\n${ajv.errorsText(validate.errors)}`);
      }
    });
  }
});

describe("masks over multi-element tokens equal a brute-force check", () => {
  // Every byte, end-of-sequence, and ~2,500 random 2-8 byte slices of the fixtures' valid documents.
  const random = mulberry32(99);
  const slices = new Set<string>();
  for (const fixture of fixtures) {
    for (const instance of fixture.valid) {
      for (const text of [JSON.stringify(instance), JSON.stringify(instance, null, 2)]) {
        for (let i = 0; i < 120; i++) {
          const start = Math.floor(random() * text.length);
          slices.add(text.slice(start, start + 2 + Math.floor(random() * 7)));
        }
      }
    }
  }
  const tokens = [...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), null, ...[...slices].map((t) => encoder.encode(t))];
  const fragments = TokenTrie.build(new ArrayTokenByteVocabulary(tokens, [EOS]));

  for (const fixture of fixtures) {
    it(fixture.name, () => {
      const grammar = compileJsonSchema(fixture.schema);
      const matcher = new PushdownMatcher(grammar);
      for (let run = 0; run < 6; run++) {
        const c = JsonSchemaConstraint.create(grammar, fragments);
        let state = matcher.initial;
        // A token budget from the start for half the runs (it binds near the end), forced completion
        // after 30 tokens for the others.
        if (run % 2 === 0) c.setTokenBudget(20 + 10 * run);
        for (let step = 0; !c.isFinished(); step++) {
          if (step === 30 && run % 2 === 1) c.forceCompletion();
          const budget = c.tokenBudget();
          const limit = budget === null ? Infinity : Math.max(budget - 2, state.distance - 1);
          const mask = c.currentMask();
          const allowed: number[] = [];
          for (let id = 0; id < fragments.vocabSize; id++) {
            const bytes = fragments.tokenBytes[id];
            const next = bytes ? matcher.walk(state, bytes) : null;
            const ok = bytes ? next !== null && next.distance <= limit : state.distance === 0;
            assert.equal(mask.has(id), ok, `token ${JSON.stringify(bytes ? new TextDecoder().decode(bytes) : "<eos>")} at step ${step}`);
            if (ok) allowed.push(id);
          }
          const id = allowed[Math.floor(random() * allowed.length)] as number;
          c.accept(id);
          const bytes = fragments.tokenBytes[id];
          if (bytes) state = matcher.walk(state, bytes) ?? assert.fail("accepted token rejected by the matcher");
        }
      }
    });
  }
});
