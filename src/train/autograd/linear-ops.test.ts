import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../../engine/rng.js";
import { simdGemm } from "../kernels/simd-gemm.js";
import { gemmNN, gemmNT, gemmNTScalar, gemmTN } from "./gemm.js";
import { checkGradients, randomArray, randomParameter, randomVariable } from "./grad-check.js";
import { dropoutOp, embedOp, loraMatmulOp, matmulOp } from "./linear-ops.js";
import { LoraWeight } from "./parameter.js";

const TOLERANCE = 1e-2;

describe("gemm kernels", () => {
  it("NT, NN and TN agree with a plain triple loop on ragged shapes (1, 3, 4, 5, 31, 33)", () => {
    const rng = new SeededRandom(5 * 1000003 + 1);
    assert.ok(simdGemm(), "WebAssembly SIMD kernel loads (Node 20 has SIMD128)");
    for (const [M, N, K] of [[1, 1, 1], [3, 5, 7], [4, 4, 4], [5, 33, 31], [33, 31, 5], [8, 12, 16], [17, 64, 129], [64, 9, 64]] as const) {
      const A = randomArray(rng, M * K);
      const B = randomArray(rng, N * K);
      const want = new Float32Array(M * N);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[m * K + k]! * B[n * K + k]!;
        want[m * N + n] = s;
      }
      for (const kernel of [gemmNT, gemmNTScalar, simdGemm()!.gemmNT.bind(simdGemm())]) {
        const nt = new Float32Array(M * N).fill(1);
        kernel(A, B, nt, M, N, K, true);
        for (let i = 0; i < nt.length; i++) assert.ok(Math.abs(nt[i]! - 1 - want[i]!) < 1e-5, `NT ${M}×${N}×${K}`);
        kernel(A, B, nt, M, N, K, false);
        for (let i = 0; i < nt.length; i++) assert.ok(Math.abs(nt[i]! - want[i]!) < 1e-5, `NT ${M}×${N}×${K}`);
      }
      const Bt = new Float32Array(K * N);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) Bt[k * N + n] = B[n * K + k]!;
      const nn = new Float32Array(M * N);
      gemmNN(A, Bt, nn, M, N, K);
      const At = new Float32Array(K * M);
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) At[k * M + m] = A[m * K + k]!;
      const tn = new Float32Array(M * N);
      gemmTN(At, Bt, tn, M, N, K);
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(nn[i]! - want[i]!) < 1e-5 && Math.abs(tn[i]! - want[i]!) < 1e-5, `NN/TN ${M}×${N}×${K}`);
      }
      // The WebAssembly NN and TN kernels at every size (gemmNN/gemmTN use them only above a work threshold).
      const simd = simdGemm()!;
      for (const accumulate of [true, false]) {
        const nn2 = new Float32Array(M * N).fill(1);
        const tn2 = new Float32Array(M * N).fill(1);
        simd.gemmNN(A, Bt, nn2, M, N, K, accumulate);
        simd.gemmTN(At, Bt, tn2, M, N, K, accumulate);
        const base = accumulate ? 1 : 0;
        for (let i = 0; i < want.length; i++) {
          assert.ok(Math.abs(nn2[i]! - base - want[i]!) < 1e-5, `SIMD NN ${M}×${N}×${K} accumulate=${accumulate}`);
          assert.ok(Math.abs(tn2[i]! - base - want[i]!) < 1e-5, `SIMD TN ${M}×${N}×${K} accumulate=${accumulate}`);
        }
      }
    }
  });
});

describe("linear ops: backward matches finite differences", () => {
  for (let seed = 1; seed <= 3; seed++) {
    const rng = new SeededRandom(seed * 1000003 + 12);
    const T = 1 + Math.floor(rng.nextFloat() * 6);
    const inDim = 1 + Math.floor(rng.nextFloat() * 20);
    const outDim = 1 + Math.floor(rng.nextFloat() * 20);
    it(`matmul [${T}, ${inDim}] · [${outDim}, ${inDim}]ᵀ`, () => {
      const x = randomVariable(rng, [T, inDim]);
      const w = randomParameter(rng, [outDim, inDim]);
      const r = checkGradients((t) => matmulOp(t, x, w), [x, w]);
      assert.ok(r.worst < TOLERANCE, r.where);
    });
    it(`embedding lookup with repeated ids, scale ${seed * 1.5}`, () => {
      const table = randomParameter(rng, [7, inDim]);
      const ids = Int32Array.from({ length: T + 2 }, (_, i) => (i * 3) % 7);
      const r = checkGradients((t) => embedOp(t, table, ids, seed * 1.5), [table]);
      assert.ok(r.worst < TOLERANCE, r.where);
    });
    it(`LoRA matmul (rank ${seed}) with dropout`, () => {
      const x = randomVariable(rng, [T, inDim]);
      const base = randomParameter(rng, [outDim, inDim]);
      const a = randomParameter(rng, [seed, inDim]);
      const b = randomParameter(rng, [outDim, seed]);
      const w = new LoraWeight(base, a, b, 2 / seed, 0.3);
      const uniform = (i: number): number => ((i * 0.618) % 1);
      const r = checkGradients((t) => loraMatmulOp(t, x, w, uniform), [x, base, a, b]);
      assert.ok(r.worst < TOLERANCE, r.where);
      const d = checkGradients((t) => dropoutOp(t, x, 0.5, uniform), [x]);
      assert.ok(d.worst < TOLERANCE, d.where);
    });
  }
});
