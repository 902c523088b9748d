import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FIXTURES } from "../../testing/fixtures.js";
import { ggmlType, type GgmlTypeName } from "./ggml-type.js";
import { dequantizeRow, quantizeRow } from "./quantize-row.js";

interface VectorLine {
  readonly kind: "block-sizes" | "input" | "quantize" | "dequantize";
  readonly case?: string;
  readonly type?: GgmlTypeName;
  readonly f32?: string;
  readonly quantized?: string;
  readonly dequantized?: string;
  readonly [type: string]: unknown;
}

const lines: VectorLine[] = readFileSync(join(FIXTURES, "quant", "ggml-vectors.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as VectorLine);
const bytesOf = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, "base64"));
const floatsOf = (b64: string): Float32Array => {
  const bytes = bytesOf(b64);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};
const inputs = new Map(lines.filter((l) => l.kind === "input").map((l) => [l.case!, floatsOf(l.f32!)]));

/** Float32 arrays equal bit for bit (so -0 ≠ +0 and NaN = NaN with the same payload). */
function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) assert.fail(`${what}: value ${i} is ${actual[i]} (0x${a[i]!.toString(16)}), ggml gives ${expected[i]} (0x${e[i]!.toString(16)})`);
  }
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) assert.fail(`${what}: byte ${i} is ${actual[i]}, ggml wrote ${expected[i]}`);
}

describe("block formats against ggml's reference code", () => {
  it("uses ggml's block sizes", () => {
    const sizes = lines.find((l) => l.kind === "block-sizes")!;
    for (const [name, value] of Object.entries(sizes)) {
      if (name === "kind") continue;
      const [elems, bytes] = value as [number, number];
      const info = ggmlType(name as GgmlTypeName);
      assert.deepEqual([info.blockElems, info.blockBytes], [elems, bytes], name);
    }
  });

  const byType = new Map<string, VectorLine[]>();
  for (const l of lines) if (l.type) byType.set(l.type, [...(byType.get(l.type) ?? []), l]);
  for (const [type, cases] of byType) {
    it(`${type}: quantize and dequantize bit-exact (${cases.length} cases)`, () => {
      for (const c of cases) {
        const expectedBytes = bytesOf(c.quantized!);
        const expectedValues = floatsOf(c.dequantized!);
        assertSameBits(dequantizeRow(type as GgmlTypeName, expectedBytes), expectedValues, `${type} ${c.case} dequantize`);
        if (c.kind !== "quantize") continue;
        const ours = quantizeRow(type as GgmlTypeName, inputs.get(c.case!)!);
        if (type === "Q8_K") zeroUnwrittenBsums(expectedBytes);
        assertSameBytes(ours, expectedBytes, `${type} ${c.case} quantize`);
      }
    });
  }
});

/** ggml leaves bsums of an all-zero Q8_K block unwritten (the generator pre-fills 0xAB); we write zeros. */
function zeroUnwrittenBsums(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 0; o < bytes.length; o += 292) if (view.getFloat32(o, true) === 0) bytes.fill(0, o + 260, o + 292);
}

describe("quantizeRow / dequantizeRow", () => {
  it("rejects lengths that are not whole blocks", () => {
    assert.throws(() => quantizeRow("Q4_K", new Float32Array(255)), RangeError);
    assert.throws(() => dequantizeRow("Q8_0", new Uint8Array(33)), RangeError);
  });
  it("refuses types it cannot encode", () => {
    assert.throws(() => quantizeRow("IQ2_XXS", new Float32Array(256)), /cannot be \(de\)quantized/);
  });
});
