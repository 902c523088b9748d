import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../engine/rng.js";
import { BadRequestError } from "../errors.js";
import type { JsonValue } from "./chat-types.js";
import { formatGemma4Value, formatNumber } from "./gemma4-value-format.js";
import { MAX_DEPTH, parseGemma4Object, parseGemma4Value } from "./gemma4-value-parser.js";
import { parseToolCalls } from "./tool-call-parser.js";

const Q = '<|"|>';

function parsed(text: string): JsonValue {
  const r = parseGemma4Value(text);
  assert.ok(r.ok, `${JSON.stringify(text)}: ${r.ok ? "" : r.error}`);
  assert.equal(r.end, text.length);
  return r.value;
}

describe("Gemma 4 value syntax", () => {
  it("writes what the template's format_argument writes (fixture examples)", () => {
    assert.equal(formatGemma4Value({ location: "Paris", unit: "celsius" }), `{location:${Q}Paris${Q},unit:${Q}celsius${Q}}`);
    assert.equal(formatGemma4Value({ temperature: 21, sky: "clear" }), `{sky:${Q}clear${Q},temperature:21}`);
    assert.equal(formatGemma4Value(["a.md", "b.md"]), `[${Q}a.md${Q},${Q}b.md${Q}]`);
    assert.equal(formatGemma4Value({ b: true, a: { y: [1, false] } }, { quoteKeys: true }), `{${Q}a${Q}:{${Q}y${Q}:[1,false]},${Q}b${Q}:true}`);
  });

  it("sorts keys as Jinja dictsort does: case-insensitively, stable, by code point", () => {
    assert.equal(formatGemma4Value({ b: 1, A: 2, a: 3, C: 4 }), "{A:2,a:3,b:1,C:4}");
    assert.equal(formatGemma4Value({ "\u{1F600}": 1, "\uFF21": 2 }), "{\uFF21:2,\u{1F600}:1}");
  });

  it("prints numbers as Python does where JSON can carry them", () => {
    assert.deepEqual([0, -3, 1.5, 0.0001, 0.00001, 1.5e-7, 123456789012, 1e21, -2.5e-10].map(formatNumber), ["0", "-3", "1.5", "0.0001", "1e-05", "1.5e-07", "123456789012", "1e+21", "-2.5e-10"]);
    assert.throws(() => formatNumber(Infinity), BadRequestError);
  });

  it("quotes keys that could not be read back bare", () => {
    assert.equal(formatGemma4Value({ "a:b": 1, " x": 2, "": 3, ok_key: 4 }), `{${Q}${Q}:3,${Q} x${Q}:2,${Q}a:b${Q}:1,ok_key:4}`);
  });

  it("reads strings holding any text, numbers in every JSON form, literals and nesting", () => {
    assert.deepEqual(parsed(`{s:${Q}a},b:"c"\n<tool_call|>{[${Q},n:-1.5e-3,i:42,t:true,f:false,z:null,arr:[1,[2,{}]],o:{}}`), {
      s: 'a},b:"c"\n<tool_call|>{[', n: -1.5e-3, i: 42, t: true, f: false, z: null, arr: [1, [2, {}]], o: {},
    });
    assert.deepEqual(parsed("{ a : 1 , b : [ 2 , 3 , ] , }"), { a: 1, b: [2, 3] });
    assert.deepEqual(parsed("{x:None,y:True,z:False}"), { x: null, y: true, z: false });
    assert.deepEqual(parsed(`{"json key":"json \\"str\\"",${Q}q k${Q}:+1}`), { "json key": 'json "str"', "q k": 1 });
    assert.deepEqual(parsed("{__proto__:1}"), JSON.parse('{"__proto__":1}'));
    assert.equal(Object.getPrototypeOf(parsed("{__proto__:{a:1}}")), Object.prototype);
    assert.equal(parsed("-0.5"), -0.5);
  });

  it("reports where and why a value is malformed, and whether the text just ended", () => {
    const cases: [string, boolean][] = [
      ["{a:bare}", false], ["{a:1 2}", false], ["{a 1}", false], ["{:1}", false], ["{a:1,,b:2}", false], ["[1}", false],
      ["{a:1e999}", false], [`{a:${Q}open`, true], ["{a:[1,2", true], ["{a:", true], [`{a:<|"`, true], ["{a:tr", true], ['{a:"x', true],
    ];
    for (const [text, eof] of cases) {
      const r = parseGemma4Object(text);
      assert.ok(!r.ok, text);
      if (!r.ok) {
        assert.equal(r.eof, eof, `${text}: ${r.error}`);
        assert.ok(r.offset >= 0 && r.offset <= text.length && !r.error.includes("\n"), text);
      }
    }
  });

  it("refuses deep nesting instead of overflowing the stack", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const r = parseGemma4Value(deep);
    assert.ok(!r.ok && /nested/.test(r.error));
    assert.ok(parseGemma4Value("[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH)).ok);
  });

  it("round-trips 10,000 seeded random nested argument objects (format → parse → deep-equal), also inside a call", () => {
    const rng = new SeededRandom(42);
    let nodes = 0;
    for (let n = 0; n < 10_000; n++) {
      const args = randomObject(rng, 0, () => nodes++);
      const text = formatGemma4Value(args);
      const r = parseGemma4Value(text);
      assert.ok(r.ok && r.end === text.length, `${text}: ${r.ok ? "trailing text" : r.error}`);
      assert.deepStrictEqual(r.value, args);
      if (n % 10 === 0) {
        const { calls, content } = parseToolCalls(`before<|tool_call>call:fn_${n}${text}<tool_call|>after`);
        assert.equal(content, "beforeafter");
        assert.deepStrictEqual(calls, [{ type: "tool_call", name: `fn_${n}`, arguments: args, raw: `<|tool_call>call:fn_${n}${text}<tool_call|>` }]);
      }
    }
    assert.ok(nodes > 50_000, `${nodes} values`);
  });
});

// ---- random values: strings with delimiter-like text, every number shape, literals, nesting

const STRING_PIECES = ["", "a", "Z", " ", "\n", "\t", "}", "{", ",", ":", "[", "]", '"', "'", "\\", "<", ">", "|", "<|", '<|"', '<|"|', "<tool_call|>", "<|tool_call>", "call:x{", "}<tool_call|>", "<|channel>", "null", "true", "1e5", "é", "中", "😀", "\u0000", "\u2028"];
const KEY_CHARS = "abcXYZ_0189-.$ é中😀";

/** Any text except the delimiter itself, which no string can hold (the syntax has no escape). */
function randomString(rng: SeededRandom): string {
  for (;;) {
    let s = "";
    for (let i = rng.nextUint32() % 6; i > 0; i--) s += STRING_PIECES[rng.nextUint32() % STRING_PIECES.length];
    if (!s.includes(Q)) return s;
  }
}

function randomKey(rng: SeededRandom): string {
  const r = rng.nextUint32() % 20;
  if (r === 0) return randomString(rng); // anything: the formatter quotes it when it cannot be bare
  const chars = [...KEY_CHARS];
  let k = "";
  for (let i = 1 + (rng.nextUint32() % 8); i > 0; i--) k += chars[rng.nextUint32() % chars.length];
  return k;
}

function randomNumber(rng: SeededRandom): number {
  switch (rng.nextUint32() % 6) {
    case 0: return (rng.nextUint32() % 2001) - 1000;
    case 1: return (rng.nextUint32() * 2 ** 21 + (rng.nextUint32() >>> 11)) * (rng.nextUint32() % 2 ? 1 : -1);
    case 2: return (rng.nextFloat() - 0.5) * 10 ** ((rng.nextUint32() % 40) - 20);
    case 3: return rng.nextFloat() * 1e300 * (rng.nextUint32() % 2 ? 1 : -1);
    case 4: return (rng.nextFloat() || 0.5) * 1e-300;
    default: return Math.round(rng.nextFloat() * 1e6) / 1e3 || 1;
  }
}

function randomValue(rng: SeededRandom, depth: number, count: () => void): JsonValue {
  count();
  const r = rng.nextUint32() % (depth >= 4 ? 5 : 7);
  if (r === 0) return randomString(rng);
  if (r === 1) return randomNumber(rng);
  if (r === 2) return rng.nextUint32() % 2 === 0;
  if (r === 3) return null;
  if (r === 4) return randomString(rng);
  if (r === 5) return Array.from({ length: rng.nextUint32() % 5 }, () => randomValue(rng, depth + 1, count));
  return randomObject(rng, depth + 1, count);
}

function randomObject(rng: SeededRandom, depth: number, count: () => void): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (let i = rng.nextUint32() % 6; i > 0; i--) {
    Object.defineProperty(out, randomKey(rng), { value: randomValue(rng, depth, count), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
