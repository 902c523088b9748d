import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, fromFloat32, roundToBf16, toFloat32 } from "./dtype.js";

describe("dtype conversions", () => {
  it("bf16 round trip is exact for every bf16 value and rounds to nearest even", () => {
    for (let bits = 0; bits < 65536; bits++) {
      const v = bf16ToF32(bits);
      if (Number.isNaN(v)) assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(v))));
      else assert.equal(f32ToBf16(v), bits);
    }
    // 1 + 2^-8 lies exactly between 1 and the next bf16 (1 + 2^-7): ties go to the even mantissa (1).
    assert.equal(roundToBf16(1 + 2 ** -8), 1);
    assert.equal(roundToBf16(1 + 3 * 2 ** -8), 1 + 2 ** -6);
    assert.equal(roundToBf16(Math.sqrt(1536)), 39.25); // the spec's E2B embedding scale
    assert.equal(roundToBf16(Math.sqrt(5376)), 73.5);
  });

  it("f16 round trip is exact for every f16 value, with subnormals, overflow and ties", () => {
    for (let bits = 0; bits < 65536; bits++) {
      const v = f16ToF32(bits);
      if (Number.isNaN(v)) continue;
      assert.equal(f32ToF16(v), bits, `bits ${bits.toString(16)}`);
    }
    assert.equal(f16ToF32(0x3c00), 1);
    assert.equal(f16ToF32(0x0001), 2 ** -24);
    assert.equal(f32ToF16(65520), 0x7c00); // rounds up to infinity
    assert.equal(f32ToF16(65519), 0x7bff);
    assert.equal(f32ToF16(2 ** -25), 0); // tie between 0 and the smallest subnormal → even (0)
    assert.equal(f32ToF16(3 * 2 ** -25), 2); // tie between 1 and 2 subnormal units → even (2)
    assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // tie → even
    assert.ok(Number.isNaN(f16ToF32(f32ToF16(NaN))));
  });

  it("bulk conversions agree with the scalar ones", () => {
    const values = Float32Array.from([0, -0, 1.5, -2.25, 3.14159, 1e-8, 65504, -1e5]);
    assert.deepEqual(Array.from(toFloat32("bf16", fromFloat32("bf16", values))), Array.from(values, roundToBf16));
    assert.deepEqual(Array.from(toFloat32("f16", fromFloat32("f16", values))), Array.from(values, (v) => f16ToF32(f32ToF16(v))));
    assert.deepEqual(Array.from(toFloat32("i64", BigInt64Array.of(-3n, 7n))), [-3, 7]);
  });
});
