/**
 * Quantized weights on the CPU kernels, every kernel variant this machine runs, ragged shapes (rows and
 * tokens 1, 3, 31–33, …; rows of 1, 17 and 36 blocks so the last lane group is partial):
 * - matmul equals an exact emulation of the method (ggml dequantization of the weight, activations
 *   quantized to int8 per 32 values, products summed in double) to float32 rounding;
 * - and differs from the reference backend (float32 activations) by no more than the activation rounding
 *   allows: Σ|w|·d_x/2 per block;
 * - embedding rows dequantize bit-exactly as ggml's dequantize_row_*.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../../engine/rng.js";
import { dequantizeRow, quantizeRow } from "../../formats/quant/quantize-row.js";
import type { QuantDtype } from "../ops.js";
import { ReferenceBackend } from "../reference/reference-backend.js";
import { ggmlTypeOf } from "../weight-dtype.js";
import { CpuBackend } from "./cpu-backend.js";
import { KERNEL_TYPES } from "./kernel-module.js";
import { loadNativeKernels } from "./native-kernels.js";
import { availableKernelModules } from "./available-kernels.js";

const QUANT: readonly QuantDtype[] = ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q6_k"];

function random(rng: SeededRandom, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.nextFloat() * 2 - 1) * scale;
  return out;
}

/** The kernels' activation quantization: per 32 values d = amax/127, q = round-half-even(x/d). */
function quantizeActivations(x: Float32Array): { q: Int8Array; d: Float32Array } {
  const q = new Int8Array(x.length);
  const d = new Float32Array(x.length / 32);
  for (let b = 0; b < d.length; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[32 * b + i]!));
    const db = Math.fround(amax / 127);
    const id = db ? Math.fround(1 / db) : 0;
    d[b] = db;
    for (let i = 0; i < 32; i++) {
      const v = Math.fround(x[32 * b + i]! * id);
      let r = Math.round(v);
      if (Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0) r -= 1; // ties to even
      q[32 * b + i] = Math.max(-127, Math.min(127, r));
    }
  }
  return { q, d };
}

const modules = availableKernelModules();

describe("cpu kernels: quantized weights", () => {
  if (modules.length === 0) {
    it("needs the native or WebAssembly kernels", (t) => t.skip("no CPU kernels were built (run npm install with a C compiler, or npm run build:wasm)"));
    return;
  }
  for (const { label, module } of modules) {
    for (const variant of module.variants.filter((v) => v.runsHere)) {
      it(`${label} ${variant.name}: matmul and embed for ${QUANT.join(", ")}`, () => {
        const backend = new CpuBackend(module, { variant: variant.name, kvDtype: "f32" });
        const reference = new ReferenceBackend();
        const rng = new SeededRandom(99);
        for (const dtype of QUANT) {
          assert.ok(KERNEL_TYPES[dtype] !== undefined, `${dtype} has a kernel`);
          const kQuant = dtype.endsWith("_k");
          const widths = kQuant ? [256, 768, 1536] : [32, 544, 1152];
          for (const K of widths) {
            for (const [N, T] of [[1, 1], [3, 2], [31, 3], [33, 4], [32, 7], [5, 50]] as const) {
              const wValues = random(rng, N * K, 0.5);
              const bytes = quantizeRow(ggmlTypeOf(dtype), wValues);
              const wDeq = dequantizeRow(ggmlTypeOf(dtype), bytes);
              const x = random(rng, T * K, 2);
              const name = `${dtype} [${T},${K}]·[${N},${K}]ᵀ`;

              const w = backend.uploadWeight({ dtype, shape: [N, K], data: Uint8Array.from(bytes) });
              const got = backend.readSync(backend.matmul(backend.fromHost(x, [T, K]), w));
              const refOut = reference.readSync(reference.matmul(reference.fromHost(x, [T, K]), reference.uploadWeight({ dtype, shape: [N, K], data: Uint8Array.from(bytes) })));
              const { q, d } = quantizeActivations(x);
              for (let t = 0; t < T; t++) {
                for (let n = 0; n < N; n++) {
                  let exact = 0;
                  let bound = 0;
                  let magnitude = 0;
                  for (let b = 0; b < K / 32; b++) {
                    let s = 0;
                    let absW = 0;
                    for (let i = 0; i < 32; i++) {
                      const wv = wDeq[n * K + 32 * b + i]!;
                      s += wv * q[t * K + 32 * b + i]!;
                      absW += Math.abs(wv);
                      magnitude += Math.abs(wv * x[t * K + 32 * b + i]!);
                    }
                    exact += s * d[t * K / 32 + b]!;
                    bound += (absW * d[t * K / 32 + b]!) / 2;
                  }
                  const value = got[t * N + n]!;
                  assert.ok(Math.abs(value - exact) <= 2e-6 * magnitude + 1e-6, `${name} (${t},${n}): ${value} vs emulated ${exact}`);
                  const dr = Math.abs(value - refOut[t * N + n]!);
                  assert.ok(dr <= bound * 1.001 + 1e-5, `${name} (${t},${n}): |Δ| ${dr} vs reference exceeds the activation rounding bound ${bound}`);
                }
              }
              if (T === 7) {
                const ids = Int32Array.from({ length: Math.min(N, 4) }, (_, i) => (i * 7) % N);
                const rows = backend.readSync(backend.embed(w, ids, 1));
                ids.forEach((id, i) => assert.deepEqual(rows.subarray(i * K, (i + 1) * K), wDeq.subarray(id * K, (id + 1) * K), `${name} embed row ${id}`));
              }
            }
          }
        }
      });
    }
  }
});

// The native module is required on x86-64 and arm64 Linux when a compiler exists: make its absence loud.
if (!loadNativeKernels()) describe("cpu kernels: native addon", () => it("is built", (t) => t.skip("native kernels not built: no C compiler at install")));
