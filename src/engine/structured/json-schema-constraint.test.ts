import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ArrayTokenByteVocabulary } from "./token-byte-vocabulary.js";
import { TokenTrie } from "./token-trie.js";
import { compileJsonObjectGrammar, compileJsonSchema, type JsonGrammarOptions } from "./json-schema-compiler.js";
import { JsonSchemaConstraint } from "./json-schema-constraint.js";
import { constrainedGenerationHooks } from "./constrained-generation.js";

// A vocabulary of the 256 single bytes (id = byte), end-of-sequence at 256, and multi-byte tokens after it.
const EOS = 256;
const MULTI = ['":', '"},{"', '"}', '",', "{\"", "true", "12", "\n  ", "é", "null}"];
const encoder = new TextEncoder();
const vocab = new ArrayTokenByteVocabulary(
  [...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), null, ...MULTI.map((t) => encoder.encode(t))],
  [EOS],
);
const trie = TokenTrie.build(vocab);
const multiId = (t: string): number => 257 + MULTI.indexOf(t);

function constraint(schema: unknown, options: JsonGrammarOptions = {}): JsonSchemaConstraint {
  return JsonSchemaConstraint.create(compileJsonSchema(schema, options), trie);
}

/** Feeds `text` byte by byte; returns how many bytes were allowed (all of them: text.length in bytes). */
function feed(c: JsonSchemaConstraint, text: string | Uint8Array): number {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (!c.isAllowed(b)) return i;
    c.accept(b);
  }
  return bytes.length;
}

function accepts(schema: unknown, text: string | Uint8Array, options: JsonGrammarOptions = {}): boolean {
  const c = constraint(schema, options);
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  return feed(c, bytes) === bytes.length && c.isComplete() && c.isAllowed(EOS);
}

function isPrefix(schema: unknown, text: string, options: JsonGrammarOptions = {}): boolean {
  return feed(constraint(schema, options), text) === encoder.encode(text).length;
}

const person = {
  type: "object",
  properties: { name: { type: "string" }, age: { type: "integer" }, nick: { type: "string" } },
  required: ["name", "age"],
  additionalProperties: false,
};

describe("JsonSchemaConstraint: objects", () => {
  it("accepts required properties in schema order, optional ones optional", () => {
    assert.ok(accepts(person, '{"name":"Ann","age":3}'));
    assert.ok(accepts(person, '{"name":"Ann","age":3,"nick":"A"}'));
    assert.ok(!isPrefix(person, '{"age"'), "properties come in schema order");
  });
  it("cannot close an object while a required property is missing", () => {
    const c = constraint(person);
    assert.equal(feed(c, '{"name":"Ann"'), 13);
    assert.ok(!c.isAllowed("}".charCodeAt(0)));
    assert.ok(c.isAllowed(",".charCodeAt(0)));
    assert.ok(!c.isAllowed(multiId('"}')));
    assert.ok(!c.isComplete());
  });
  it("rejects keys that are not properties when additionalProperties is false", () => {
    assert.ok(!isPrefix(person, '{"x'));
    assert.ok(!isPrefix(person, '{"name":"a","age":1,"extra"'));
    assert.ok(isPrefix(person, '{"name":"a","age":1,'));
    assert.ok(!isPrefix(person, '{"name":"a","age":1,"nick":"n",'), "no comma without a property left to write");
  });
  it("keeps keys that are prefixes of each other apart", () => {
    const schema = { type: "object", properties: { a: { type: "integer" }, ab: { type: "boolean" } }, required: ["ab"], additionalProperties: false };
    assert.ok(accepts(schema, '{"a":1,"ab":true}'));
    assert.ok(accepts(schema, '{"ab":false}'));
    assert.ok(!accepts(schema, '{"a":1}'));
  });
  it("allows an empty object only when nothing is required", () => {
    assert.ok(accepts({ type: "object", properties: { a: { type: "null" } }, additionalProperties: false }, "{}"));
    assert.ok(!accepts(person, "{}"));
  });
  it("takes a schema with object (array) keywords but no type as an object (array)", () => {
    const schema = { properties: { a: { type: "integer" } }, required: ["a"], additionalProperties: false };
    assert.ok(accepts(schema, '{"a":1}'));
    assert.ok(!isPrefix(schema, "1"));
    assert.ok(!isPrefix(schema, '{"b"'));
    assert.ok(accepts({ items: { type: "null" }, maxItems: 1 }, "[null]"));
    assert.ok(!isPrefix({ items: { type: "null" }, maxItems: 1 }, '"'));
    const recursive = { $defs: { n: { properties: { k: { items: { $ref: "#/$defs/n" } } }, required: ["k"], additionalProperties: false } }, $ref: "#/$defs/n" };
    assert.ok(accepts(recursive, '{"k":[{"k":[]}]}'));
  });
  it("treats an object schema without properties as any object", () => {
    assert.ok(accepts({ type: "object" }, '{"k":[1,{"z":null}],"q":"s"}'));
  });
});

describe("JsonSchemaConstraint: scalars", () => {
  it("integer rejects fractions and exponents", () => {
    const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false };
    assert.ok(accepts(schema, '{"n":-120}'));
    assert.ok(!isPrefix(schema, '{"n":1.'));
    assert.ok(!isPrefix(schema, '{"n":1e'));
    assert.ok(!isPrefix(schema, '{"n":01'), "no leading zeros");
    assert.ok(!isPrefix(schema, '{"n":-"'));
  });
  it("number follows the JSON grammar, within finite-double limits", () => {
    const schema = { type: "array", items: { type: "number" } };
    assert.ok(accepts(schema, "[0,-0.5,1e5,2.25E-3,-7e+99]"));
    assert.ok(!accepts(schema, "[1.]"));
    assert.ok(!isPrefix(schema, "[.5"));
    assert.ok(!isPrefix(schema, "[+1"));
    assert.ok(!isPrefix(schema, "[1e999"), "at most two exponent digits");
    assert.ok(accepts(schema, "[1234567890123456]"));
    assert.ok(!isPrefix(schema, "[12345678901234567"), "at most 16 integer digits");
  });
  it("boolean and null are literals", () => {
    const schema = { type: "array", items: { anyOf: [{ type: "boolean" }, { type: "null" }] } };
    assert.ok(accepts(schema, "[true,false,null]"));
    assert.ok(!isPrefix(schema, "[tru "));
    assert.ok(!isPrefix(schema, "[nil"));
  });
  it("enum allows exactly its values", () => {
    const schema = { type: "object", properties: { c: { type: "string", enum: ["red", "green", "re"] } }, required: ["c"], additionalProperties: false };
    assert.ok(accepts(schema, '{"c":"red"}'));
    assert.ok(accepts(schema, '{"c":"re"}'));
    assert.ok(!isPrefix(schema, '{"c":"rex'));
    assert.ok(!isPrefix(schema, '{"c":"blue'));
    assert.ok(!isPrefix(schema, '{"c":1'));
  });
  it("enum and const take any JSON values: scalars canonical, objects and arrays with whitespace", () => {
    assert.ok(accepts({ enum: [1, "a", null, { x: [true] }] }, '{"x":[true]}'));
    assert.ok(accepts({ enum: [{ x: [true] }] }, '{ "x": [true]\n}'));
    assert.ok(!accepts({ enum: [{ x: [true] }] }, '{"x": [true]}', { whitespace: "compact" }));
    assert.ok(!accepts({ enum: [{ x: [true] }, { x: [false] }] }, '{"x":[true,false]}'));
    assert.ok(!accepts({ const: 1 }, "1.0"));
    assert.ok(accepts({ const: "a\"b" }, '"a\\"b"'));
    assert.ok(accepts({ type: ["integer", "null"], enum: [1, 2.5, null] }, "1"));
    assert.ok(!accepts({ type: ["integer", "null"], enum: [1, 2.5, null] }, "2.5"));
  });
  it("strings take escapes and well-formed UTF-8 only", () => {
    const schema = { type: "string" };
    assert.ok(accepts(schema, '"a\\n\\u00e9\\"\\\\ \\/"'));
    assert.ok(accepts(schema, '"héllo 世界 🎉"'));
    assert.ok(!isPrefix(schema, '"\\x'));
    assert.ok(!isPrefix(schema, '"\\u12g'));
    assert.ok(!isPrefix(schema, '"a\nb'), "raw control characters must be escaped");
    const takes = (bytes: number[]): boolean => accepts(schema, Uint8Array.from([0x22, ...bytes, 0x22]));
    assert.ok(!takes([0xc0, 0x80]), "overlong");
    assert.ok(!takes([0xed, 0xa0, 0x80]), "surrogate");
    assert.ok(!takes([0x80]), "lone continuation byte");
    assert.ok(!takes([0xf4, 0x90, 0x80, 0x80]), "above U+10FFFF");
    assert.ok(!takes([0xe2, 0x82]), "truncated sequence");
    assert.ok(takes([0xe2, 0x82, 0xac]), "€ is fine");
  });
});

describe("JsonSchemaConstraint: arrays, anyOf, $ref", () => {
  it("respects minItems and maxItems", () => {
    const schema = { type: "array", items: { type: "integer" }, minItems: 2, maxItems: 3 };
    assert.ok(!accepts(schema, "[1]"));
    assert.ok(accepts(schema, "[1,2]"));
    assert.ok(accepts(schema, "[1,2,3]"));
    assert.ok(!isPrefix(schema, "[1,2,3,"));
    assert.ok(!isPrefix(schema, "[1,]"));
    assert.ok(accepts({ type: "array", items: { type: "integer" }, minItems: 1 }, "[1,2,3,4,5,6,7,8,9,10]"));
    assert.ok(!accepts({ type: "array", items: { type: "integer" }, minItems: 1 }, "[]"));
  });
  it("anyOf keeps every branch alive until the bytes decide", () => {
    const schema = {
      anyOf: [
        { type: "object", properties: { kind: { const: "a" }, x: { type: "integer" } }, required: ["kind", "x"], additionalProperties: false },
        { type: "object", properties: { kind: { const: "b" }, y: { type: "string" } }, required: ["kind", "y"], additionalProperties: false },
        { type: "null" },
      ],
    };
    assert.ok(accepts(schema, '{"kind":"a","x":1}'));
    assert.ok(accepts(schema, '{"kind":"b","y":"s"}'));
    assert.ok(accepts(schema, "null"));
    assert.ok(!isPrefix(schema, '{"kind":"a","y"'));
  });
  it("follows recursive $ref through $defs", () => {
    const schema = {
      $defs: { node: { type: "object", properties: { v: { type: "integer" }, kids: { type: "array", items: { $ref: "#/$defs/node" } } }, required: ["v", "kids"], additionalProperties: false } },
      $ref: "#/$defs/node",
    };
    assert.ok(accepts(schema, '{"v":1,"kids":[{"v":2,"kids":[]},{"v":3,"kids":[{"v":4,"kids":[]}]}]}'));
    assert.ok(!isPrefix(schema, '{"v":1,"kids":[{"v":2}'));
  });
  it("recursion through the root works too", () => {
    const schema = { type: "object", properties: { next: { anyOf: [{ $ref: "#" }, { type: "null" }] } }, required: ["next"], additionalProperties: false };
    assert.ok(accepts(schema, '{"next":{"next":{"next":null}}}'));
  });
});

describe("JsonSchemaConstraint: whitespace, completion, tokens", () => {
  const schema = { type: "object", properties: { a: { type: "array", items: { type: "integer" } } }, required: ["a"], additionalProperties: false };
  it("pretty (default) allows bounded whitespace between tokens only", () => {
    assert.ok(accepts(schema, '{\n  "a": [\n    1,\n    2\n  ]\n}'));
    assert.ok(accepts(schema, '{ "a" : [ 1 , 2 ] }'));
    assert.ok(!isPrefix(schema, ' {'), "nothing before the document");
    assert.ok(!isPrefix(schema, "{\n\n"), "one newline per gap");
    assert.ok(!isPrefix(schema, `{\n${" ".repeat(33)}`), "indent is bounded");
    assert.ok(!isPrefix(schema, '{"a":[1 2'));
    const c = constraint(schema);
    feed(c, '{"a":[]}');
    assert.ok(c.isComplete());
    assert.ok(!c.isAllowed(" ".charCodeAt(0)) && !c.isAllowed("\n".charCodeAt(0)), "nothing after the document");
  });
  it("compact allows no whitespace", () => {
    assert.ok(accepts(schema, '{"a":[1,2]}', { whitespace: "compact" }));
    assert.ok(!isPrefix(schema, "{ ", { whitespace: "compact" }));
  });
  it("allows end-of-sequence only when the document is complete", () => {
    const c = constraint(schema);
    for (const text of ["{", '"a":[', "1", "]"]) {
      assert.ok(!c.isAllowed(EOS));
      feed(c, text);
    }
    assert.ok(!c.isAllowed(EOS));
    feed(c, "}");
    assert.ok(c.isAllowed(EOS));
    assert.throws(() => constraint(schema).accept(EOS));
    c.accept(EOS);
    assert.ok(c.isFinished());
  });
  it("treats an end-of-sequence id as that only, even if it has text", () => {
    const tokens = [...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), encoder.encode("}")];
    const t = TokenTrie.build(new ArrayTokenByteVocabulary(tokens, [256]));
    const c = JsonSchemaConstraint.create(compileJsonSchema({ type: "object" }), t);
    c.accept("{".charCodeAt(0));
    assert.ok(!c.isAllowed(256), "not offered as the text }");
    c.accept("}".charCodeAt(0));
    assert.ok(c.isAllowed(256));
  });
  it("walks tokens that span several JSON elements", () => {
    const list = { type: "array", items: { type: "object", properties: { k: { type: "boolean" } }, required: ["k"], additionalProperties: false } };
    const c = JsonSchemaConstraint.create(compileJsonSchema(list), trie);
    feed(c, "[");
    assert.ok(c.isAllowed(multiId('{"')));
    c.accept(multiId('{"'));
    feed(c, "k");
    assert.ok(c.isAllowed(multiId('":')));
    assert.ok(!c.isAllowed(multiId('",')));
    c.accept(multiId('":'));
    c.accept(multiId("true"));
    assert.ok(!c.isAllowed(multiId('"},{"')), "the token starts with a quote, which cannot follow true");
    assert.ok(!c.isAllowed(multiId("null}")));
    const s = JsonSchemaConstraint.create(compileJsonSchema({ type: "array", items: { type: "object", properties: { k: { type: "string" } }, required: ["k"], additionalProperties: false } }), trie);
    feed(s, '[{"k":"v');
    assert.ok(s.isAllowed(multiId('"},{"')));
    s.accept(multiId('"},{"'));
    feed(s, 'k":"w"}]');
    assert.ok(s.isComplete());
  });
  it("lets byte-fallback tokens split a UTF-8 character inside a string", () => {
    const c = constraint({ type: "string" });
    feed(c, '"');
    assert.ok(c.isAllowed(multiId("é")));
    c.accept(0xc3);
    assert.ok(!c.isAllowed(multiId("é")) && !c.isAllowed(0x22) && c.isAllowed(0xa9));
    c.accept(0xa9);
    c.accept(0x22);
    assert.ok(c.isComplete());
  });
  it("maskLogits leaves allowed logits and sets the rest (and padding) to -Infinity", () => {
    const c = constraint(schema);
    feed(c, '{"a":[1');
    const logits = new Float32Array(trie.vocabSize + 5).fill(1);
    c.maskLogits(logits);
    const allowed = [...logits.keys()].filter((i) => logits[i] === 1);
    const expected = [..."0123456789 ,]\n"].map((s) => s.charCodeAt(0)).concat(multiId("12"), multiId("\n  ")).sort((a, b) => a - b);
    assert.deepEqual(allowed, expected);
    const bits = c.allowedTokens();
    for (let id = 0; id < trie.vocabSize; id++) assert.equal(((bits[id >>> 5] as number) >>> (id & 31)) & 1, allowed.includes(id) ? 1 : 0);
  });
  it("forceCompletion finishes along a shortest path", () => {
    const c = constraint({ type: "object", properties: { s: { type: "string" }, n: { type: "array", items: { type: "integer" }, minItems: 2 } }, required: ["s", "n"], additionalProperties: false });
    feed(c, '{"s":"abc');
    const need = c.bytesToComplete();
    assert.equal(need, '","n":[0,0]}'.length);
    c.forceCompletion();
    let steps = 0;
    const out: number[] = [];
    while (!c.isFinished()) {
      const bits = c.allowedTokens();
      let id = -1;
      for (let i = 0; i < trie.vocabSize && id < 0; i++) if (((bits[i >>> 5] as number) >>> (i & 31)) & 1) id = i;
      assert.ok(id >= 0, "something is always allowed");
      c.accept(id);
      if (id !== EOS) out.push(...(trie.tokenBytes[id] as Uint8Array));
      steps++;
    }
    assert.ok(steps <= need + 1);
    assert.deepEqual(JSON.parse('{"s":"abc' + new TextDecoder().decode(Uint8Array.from(out))), { s: "abc", n: [0, 0] });
  });
  it("a token budget keeps the document inside the limit (decode-loop hooks)", () => {
    const grammar = compileJsonSchema({ type: "object", properties: { items: { type: "array", items: { type: "string" } }, n: { type: "integer" } }, required: ["items", "n"], additionalProperties: false });
    let seed = 5;
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    for (const maxNewTokens of [19, 20, 25, 40, 80]) {
      const c = JsonSchemaConstraint.create(grammar, trie);
      assert.ok(c.bytesToComplete() + 1 <= maxNewTokens, "the shortest document fits");
      const hooks = constrainedGenerationHooks(c, maxNewTokens);
      const generated: number[] = [];
      const logits = new Float32Array(trie.vocabSize);
      // What generateTokens does: processors, argmax of random logits, onToken; stop on eos or at the limit.
      while (generated.length < maxNewTokens && generated.at(-1) !== EOS) {
        for (let i = 0; i < logits.length; i++) logits[i] = random();
        hooks.logitsProcessor(logits, generated);
        let id = 0;
        for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[id] as number)) id = i;
        generated.push(id);
        hooks.onToken(id);
      }
      assert.equal(generated.at(-1), EOS, `ended by end-of-sequence within ${maxNewTokens} tokens`);
      const text = new TextDecoder().decode(Uint8Array.from(generated.slice(0, -1).flatMap((id) => [...(trie.tokenBytes[id] as Uint8Array)])));
      assert.doesNotThrow(() => JSON.parse(text), text);
    }
  });
  it("clone and reset keep states apart", () => {
    const c = constraint(schema);
    feed(c, '{"a":[');
    const d = c.clone();
    feed(d, "1]}");
    assert.ok(d.isComplete() && !c.isComplete());
    assert.ok(c.isAllowed("]".charCodeAt(0)));
    d.reset();
    assert.ok(d.isAllowed("{".charCodeAt(0)) && !d.isAllowed("]".charCodeAt(0)));
  });
  it("json_object mode accepts any object and nothing else", () => {
    const c = JsonSchemaConstraint.create(compileJsonObjectGrammar(), trie);
    assert.ok(!c.isAllowed("[".charCodeAt(0)) && !c.isAllowed('"'.charCodeAt(0)));
    const doc = '{"a": {"b": [1, "x", null, true, {}]}, "c": -1.5e3}';
    assert.equal(feed(c, doc), doc.length);
    assert.ok(c.isComplete());
  });
});
