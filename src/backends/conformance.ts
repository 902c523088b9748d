/**
 * The shared differential suite every backend runs (style habit 7): each op against the reference backend
 * on seeded random inputs with ragged shapes, and the whole decoder against the transformers fixtures.
 * A backend's test file calls `runBackendConformance(...)`; skips carry their reason in code.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromFloat32 } from "../formats/dtype.js";
import { addNormed, gatedMatmul, normedRope, writeNormedKv } from "../model/fused-ops.js";
import { Session } from "../engine/session.js";
import { SeededRandom } from "../engine/rng.js";
import { topIndices } from "../engine/sampler.js";
import { argmaxRow, fixtureDecoder, hfFixtureNames, maxAbsDiff, readHfReference } from "../testing/fixtures.js";
import type { AttentionParams, Backend, FloatWeightDtype, HostWeight, Tensor } from "./ops.js";
import { ReferenceBackend } from "./reference/reference-backend.js";

export interface ConformanceOptions {
  /** Max |Δ| allowed against the reference (ops) and against transformers (fixtures). */
  readonly opTolerance: number;
  readonly fixtureTolerance: number;
  /** Float weight dtypes the backend supports (default all three); quantized dtypes have their own tests. */
  readonly weightDtypes?: readonly FloatWeightDtype[];
}

export function runBackendConformance(label: string, makeBackend: () => Promise<Backend> | Backend, options: ConformanceOptions): void {
  describe(`${label}: ops match the reference backend`, () => runOpSuite(makeBackend, options));
  describe(`${label}: decoder matches transformers on every fixture`, () => runFixtureSuite(makeBackend, options.fixtureTolerance));
}

function randomValues(rng: SeededRandom, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.nextFloat() * 2 - 1) * scale;
  return out;
}

function hostWeight(dtype: FloatWeightDtype, shape: number[], values: Float32Array): HostWeight {
  return { dtype, shape, data: fromFloat32(dtype, values) };
}

async function compare(name: string, backend: Backend, reference: ReferenceBackend, make: (b: Backend) => Tensor, tolerance: number): Promise<void> {
  const expectedTensor = make(reference);
  const actualTensor = make(backend);
  assert.deepEqual([...actualTensor.shape], [...expectedTensor.shape], `${name}: shape`);
  const expected = reference.readSync(expectedTensor);
  const actual = await backend.read(actualTensor);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  const diff = maxAbsDiff(actual, expected);
  assert.ok(diff <= tolerance * scale, `${name}: max |Δ| ${diff.toExponential(2)} > ${tolerance} × ${scale.toFixed(2)}`);
}

function runOpSuite(makeBackend: () => Promise<Backend> | Backend, options: ConformanceOptions): void {
  const dtypes = options.weightDtypes ?? ["f32", "f16", "bf16"];
  const tol = options.opTolerance;
  const ref = new ReferenceBackend();
  const rng = new SeededRandom(1234);
  // Sizes on both sides of typical vector and tile widths, and odd head counts.
  const sizes = [1, 3, 31, 32, 33, 64, 65, 100];

  it("matmul and embed, every weight dtype, ragged shapes", async () => {
    const backend = await makeBackend();
    for (const dtype of dtypes) {
      for (const T of [1, 2, 7]) {
        for (const inDim of [1, 31, 32, 33, 96]) {
          const outDim = sizes[rng.nextUint32() % sizes.length]!;
          const w = hostWeight(dtype, [outDim, inDim], randomValues(rng, outDim * inDim));
          const x = randomValues(rng, T * inDim);
          await compare(`matmul ${dtype} [${T},${inDim}]x[${outDim},${inDim}]`, backend, ref, (b) => b.matmul(b.fromHost(x, [T, inDim]), b.uploadWeight(w)), tol);
          const up = hostWeight(dtype, [outDim, inDim], randomValues(rng, outDim * inDim));
          await compare(`gatedMatmul ${dtype} [${T},${inDim}]x[${outDim},${inDim}]`, backend, ref, (b) =>
            gatedMatmul(b, b.fromHost(x, [T, inDim]), b.uploadWeight(w), b.uploadWeight(up), T === 2 ? "gelu_exact" : "gelu_tanh"), tol);
          const ids = Int32Array.from({ length: T }, () => rng.nextUint32() % outDim);
          await compare(`embed ${dtype}`, backend, ref, (b) => b.embed(b.uploadWeight(w), ids, 3.7), tol);
        }
      }
    }
  });

  it("rmsNorm in all three forms, rope, activations, elementwise ops, slices", async () => {
    const backend = await makeBackend();
    for (const dim of [1, 16, 31, 64, 65, 1030, 1100]) {
      const T = 1 + (rng.nextUint32() % 5);
      const groups = 1 + (rng.nextUint32() % 3);
      const x = randomValues(rng, T * groups * dim, 3);
      const shape = [T, groups * dim];
      for (const form of ["one-plus", "scale", "none"] as const) {
        for (const dtype of dtypes) {
          const w = form === "none" ? null : hostWeight(dtype, [dim], randomValues(rng, dim));
          await compare(`rmsNorm ${form} ${dtype} dim ${dim}`, backend, ref, (b) => b.rmsNorm(b.fromHost(x, shape), w && b.uploadWeight(w), form, 1e-6, dim), tol);
        }
      }
    }
    // The decoder's fused steps (model/fused-ops.ts): the backend's own kernel where it has one.
    for (const dim of [16, 31, 64, 1030]) {
      const shape = [2, 3 * dim];
      const x = randomValues(rng, 6 * dim, 3);
      const residual = randomValues(rng, 6 * dim, 2);
      for (const form of ["one-plus", "scale"] as const) {
        for (const dtype of dtypes) {
          const w = hostWeight(dtype, [dim], randomValues(rng, dim));
          const nextW = hostWeight(dtype, [dim], randomValues(rng, dim));
          const scalar = hostWeight(dtype, [1], Float32Array.of(0.37));
          for (const scaled of [false, true]) {
            for (const withNext of [false, true]) {
              const run = (b: Backend) => addNormed(b, b.fromHost(residual, shape), b.fromHost(x, shape), { weight: b.uploadWeight(w), form, eps: 1e-6, dim },
                scaled ? b.uploadWeight(scalar) : null, withNext ? { norm: { weight: b.uploadWeight(nextW), form, eps: 1e-6, dim } } : undefined);
              const name = `addNorm ${form} ${dtype} dim ${dim}${scaled ? " × scalar" : ""}${withNext ? " then norm" : ""}`;
              await compare(`${name}: sum`, backend, ref, (b) => run(b).sum, tol);
              if (withNext) await compare(`${name}: normed`, backend, ref, (b) => run(b).normed!, tol);
            }
          }
        }
      }
    }
    for (const headDim of [2, 16, 64, 130, 1030]) {
      const T = 5;
      const heads = 3;
      const x = randomValues(rng, T * heads * headDim, 3);
      const positions = Int32Array.from([0, 1, 7, 100, 4099]);
      const inv = Float32Array.from({ length: headDim / 2 }, (_, j) => (j % 3 === 2 ? 0 : Math.fround(10000 ** (-2 * j / headDim))));
      for (const form of ["one-plus", "scale"] as const) {
        const w = hostWeight(dtypes[dtypes.length - 1]!, [headDim], randomValues(rng, headDim));
        await compare(`normRope ${form} d ${headDim}`, backend, ref, (b) =>
          normedRope(b, b.fromHost(x, [T, heads * headDim]), { weight: b.uploadWeight(w), form, eps: 1e-6, dim: headDim }, positions, inv, headDim), tol);
      }
    }
    for (const headDim of [2, 16, 32, 64]) {
      const T = 5;
      const heads = 3;
      const x = randomValues(rng, T * heads * headDim);
      const positions = Int32Array.from([0, 1, 7, 100, 4099]);
      const inv = Float32Array.from({ length: headDim / 2 }, (_, j) => (j % 3 === 2 ? 0 : Math.fround(10000 ** (-2 * j / headDim))));
      await compare(`rope d ${headDim}`, backend, ref, (b) => b.rope(b.fromHost(x, [T, heads * headDim]), positions, inv, headDim), tol);
    }
    const n = 3 * 33;
    const a = randomValues(rng, n, 4);
    const c = randomValues(rng, n, 4);
    const shape = [3, 33];
    const scalar = hostWeight("f32", [1], Float32Array.of(0.37));
    await compare("gelu_tanh gate", backend, ref, (b) => b.gatedActivation(b.fromHost(a, shape), b.fromHost(c, shape), "gelu_tanh"), tol);
    await compare("gelu_exact gate", backend, ref, (b) => b.gatedActivation(b.fromHost(a, shape), b.fromHost(c, shape), "gelu_exact"), tol);
    await compare("add", backend, ref, (b) => b.add(b.fromHost(a, shape), b.fromHost(c, shape)), tol);
    await compare("mul", backend, ref, (b) => b.mul(b.fromHost(a, shape), b.fromHost(c, shape)), tol);
    await compare("scale", backend, ref, (b) => b.scale(b.fromHost(a, shape), 0.125), tol);
    await compare("scaleByWeight", backend, ref, (b) => b.scaleByWeight(b.fromHost(a, shape), b.uploadWeight(scalar)), tol);
    await compare("softcap", backend, ref, (b) => b.softcap(b.fromHost(a, shape), 3), tol);
    await compare("sliceRows", backend, ref, (b) => b.sliceRows(b.fromHost(a, shape), 1, 2), tol);
    await compare("concatRows", backend, ref, (b) => b.concatRows([b.fromHost(a, shape), b.fromHost(c.subarray(0, 33), [1, 33]), b.fromHost(a, shape)]), tol);
    await compare("sliceColumns", backend, ref, (b) => b.sliceColumns(b.fromHost(a, shape), 5, 17), tol);
  });

  attentionTests(makeBackend, tol, rng, ref, dtypes);

  it("mixture of experts routing and expert MLPs", async () => {
    const backend = await makeBackend();
    for (const dtype of dtypes) {
      const E = 8, H = 33, Im = 17, T = 3, topK = 2;
      const gateUp = hostWeight(dtype, [E, 2 * Im, H], randomValues(rng, E * 2 * Im * H, 0.3));
      const down = hostWeight(dtype, [E, H, Im], randomValues(rng, E * H * Im, 0.3));
      const perExpert = hostWeight(dtype, [E], randomValues(rng, E));
      const x = randomValues(rng, T * H);
      const logits = randomValues(rng, T * E, 3);
      await compare(`moe ${dtype}`, backend, ref, (b) => b.moe(b.fromHost(x, [T, H]), b.fromHost(logits, [T, E]), b.uploadWeight(perExpert), b.uploadWeight(gateUp), b.uploadWeight(down), { topK, activation: "gelu_tanh" }), tol);
    }
  });
}

/** The fixture suite on its own, for a backend's second kernel set (webgpu-backend.test.ts). */
export function runFixtureConformance(label: string, makeBackend: () => Promise<Backend> | Backend, options: ConformanceOptions): void {
  describe(`${label}: decoder matches transformers on every fixture`, () => runFixtureSuite(makeBackend, options.fixtureTolerance));
}

/** The attention cases, on their own for a backend's second kernel set (webgpu-backend.test.ts). */
export function runAttentionConformance(label: string, makeBackend: () => Promise<Backend> | Backend, options: ConformanceOptions): void {
  describe(`${label}: attention matches the reference backend`, () => attentionTests(makeBackend, options.opTolerance, new SeededRandom(4321), new ReferenceBackend(), options.weightDtypes ?? ["f32", "f16", "bf16"]));
}

/** How a test fills the KV store: `writeNormedKv` (the decoder's k norm + RoPE, v norm, write) instead of a
 *  plain writeKv, with a k norm of `form` in `dtype`, and v normed or not, or v = k's projection. */
interface NormedFill {
  readonly form: "one-plus" | "scale";
  readonly dtype: FloatWeightDtype;
  readonly vNorm: boolean;
  readonly kEqV: boolean;
}

function attentionTests(makeBackend: () => Promise<Backend> | Backend, tol: number, rng: SeededRandom, ref: ReferenceBackend, dtypes: readonly FloatWeightDtype[]): void {
  /** Feeds tokens in `chunks` (random q, k, v; slot = position mod `capacity`) to a KV store on both
   *  backends and compares every attention output. */
  async function compareAttention(backend: Backend, params: AttentionParams, capacity: number, chunks: readonly number[], fill?: NormedFill): Promise<void> {
    const { numHeads, numKvHeads, headDim } = params;
    const stores = [ref, backend].map((b) => b.createKvStore(numKvHeads, headDim, capacity));
    const kNorm = fill && hostWeight(fill.dtype, [headDim], randomValues(rng, headDim));
    const inv = Float32Array.from({ length: headDim / 2 }, (_, j) => (j % 4 === 3 ? 0 : Math.fround(10000 ** (-2 * j / headDim))));
    let pos = 0;
    for (const chunk of chunks) {
      const positions = Int32Array.from({ length: chunk }, (_, i) => pos + i);
      const slots = positions.map((p) => p % capacity);
      const k = randomValues(rng, chunk * numKvHeads * headDim);
      const v = randomValues(rng, chunk * numKvHeads * headDim);
      const q = randomValues(rng, chunk * numHeads * headDim);
      const kvShape = [chunk, numKvHeads * headDim];
      [ref, backend].forEach((b, i) => {
        const kt = b.fromHost(k, kvShape);
        const vt = fill?.kEqV ? kt : b.fromHost(v, kvShape);
        if (!fill || !kNorm) return b.writeKv(stores[i]!, kt, vt, slots, positions);
        const norm = { weight: b.uploadWeight(kNorm), form: fill.form, eps: 1e-6, dim: headDim };
        writeNormedKv(b, stores[i]!, kt, vt, norm, fill.vNorm ? 1e-6 : null, positions, inv, headDim, slots);
      });
      let call = 0;
      await compare(`attention ${JSON.stringify(params)}: ${chunk} rows at ${pos}`, backend, ref, (b) => b.attention(b.fromHost(q, [chunk, numHeads * headDim]), stores[call++]!, positions, params), tol);
      pos += chunk;
    }
  }

  it("attention over KV stores: sliding and full, GQA/MQA, softcap, ragged head dims, ring wrap", async () => {
    const backend = await makeBackend();
    const cases = [
      { numHeads: 4, numKvHeads: 1, headDim: 16, window: null, softcap: null },
      { numHeads: 4, numKvHeads: 2, headDim: 33, window: 5, softcap: 50 },
      { numHeads: 3, numKvHeads: 3, headDim: 64, window: 3, softcap: null },
      { numHeads: 8, numKvHeads: 2, headDim: 32, window: null, softcap: 10 },
    ];
    // 11 tokens in chunks of 1, 4, 2, 4: the sliding ring wraps.
    for (const c of cases) await compareAttention(backend, { ...c, scale: 0.3 }, c.window === null ? 40 : c.window - 1 + 4, [1, 4, 2, 4]);
  });

  it("attention over long KV stores: decode split over many slot chunks, prefill tiles skipped by the mask", async () => {
    const backend = await makeBackend();
    const cases = [
      { numHeads: 2, numKvHeads: 1, headDim: 40, window: null, softcap: null, chunks: [150, 1, 1, 70, 1, 1] },
      { numHeads: 4, numKvHeads: 2, headDim: 24, window: 100, softcap: 30, chunks: [90, 1, 1, 38, 1, 1, 1] },
      // Later rows of the first chunk and all of the third are far past the window of the first slots.
      { numHeads: 2, numKvHeads: 2, headDim: 16, window: 64, softcap: null, chunks: [200, 1, 60, 1] },
      // Gemma 4's head dims: several 64-row query tiles and 32-slot key tiles, a ragged last one of each.
      { numHeads: 2, numKvHeads: 1, headDim: 256, window: 50, softcap: null, chunks: [97, 1, 33] },
      { numHeads: 2, numKvHeads: 1, headDim: 512, window: null, softcap: 20, chunks: [70, 1] },
    ];
    for (const { chunks, ...c } of cases) {
      const capacity = c.window === null ? chunks.reduce((a, b) => a + b, 0) : c.window - 1 + Math.max(...chunks);
      await compareAttention(backend, { ...c, scale: 0.2 }, capacity, chunks);
    }
  });

  it("KV writes of more rows × heads than one dispatch dimension holds (65,535 workgroups)", async () => {
    const backend = await makeBackend();
    const cases = [
      { numKvHeads: 8, headDim: 16, tokens: 8200, normed: true }, // 65,600 (token, head) pairs
      { numKvHeads: 1, headDim: 8, tokens: 66000, normed: false }, // 66,000 tokens
    ];
    for (const { numKvHeads, headDim, tokens, normed } of cases) {
      const params: AttentionParams = { numHeads: numKvHeads, numKvHeads, headDim, scale: 0.3, softcap: null, window: null };
      const positions = Int32Array.from({ length: tokens }, (_, i) => i);
      const k = randomValues(rng, tokens * numKvHeads * headDim);
      const v = randomValues(rng, tokens * numKvHeads * headDim);
      const kNorm = hostWeight("f32", [headDim], randomValues(rng, headDim));
      const inv = Float32Array.from({ length: headDim / 2 }, (_, j) => 10000 ** (-2 * j / headDim));
      const q = randomValues(rng, numKvHeads * headDim);
      // Every key and value matters to the one query at the end, which attends over all of them.
      await compare(`${tokens} tokens × ${numKvHeads} KV heads, then one query`, backend, ref, (b) => {
        const store = b.createKvStore(numKvHeads, headDim, tokens + 1);
        const kt = b.fromHost(k, [tokens, numKvHeads * headDim]);
        const vt = b.fromHost(v, [tokens, numKvHeads * headDim]);
        if (normed) writeNormedKv(b, store, kt, vt, { weight: b.uploadWeight(kNorm), form: "scale", eps: 1e-6, dim: headDim }, 1e-6, positions, inv, headDim, positions);
        else b.writeKv(store, kt, vt, positions, positions);
        return b.attention(b.fromHost(q, [1, numKvHeads * headDim]), store, Int32Array.of(tokens), params);
      }, tol);
    }
  });

  it("keys and values written through writeNormedKv: k norm + RoPE, v norm or not, k = v, every norm dtype", async () => {
    const backend = await makeBackend();
    const cases = [
      { numHeads: 4, numKvHeads: 2, headDim: 16, window: 5, softcap: null },
      { numHeads: 2, numKvHeads: 1, headDim: 66, window: null, softcap: 30 },
      { numHeads: 2, numKvHeads: 2, headDim: 256, window: null, softcap: null },
    ];
    for (const c of cases) {
      for (const dtype of dtypes) {
        for (const [form, vNorm, kEqV] of [["scale", true, false], ["one-plus", false, false], ["scale", true, true]] as const) {
          const capacity = c.window === null ? 12 : c.window + 3;
          await compareAttention(backend, { ...c, scale: 0.25 }, capacity, [5, 1, 1, 4, 1], { form, dtype, vNorm, kEqV });
        }
      }
    }
  });

}

/**
 * Backend.topLogits (for backends that have it) against the host sampler's own top-k: ids, order (ties to
 * the lower id) and values exactly, log Σ exp to float rounding; rows of Gemma's vocabulary size, ties
 * across the boundary, −0 beside +0, −∞, all-negative and all-equal rows; bad k and shapes rejected.
 * A backend may decline (null) only where more logits tie near the k-th than it can return.
 */
export function runTopLogitsConformance(label: string, makeBackend: () => Promise<Backend> | Backend): void {
  it(`${label}: topLogits equals the host's top-k and log Σ exp`, async () => {
    const backend = await makeBackend();
    const topLogits = backend.topLogits?.bind(backend);
    assert.ok(topLogits, `${label} has no topLogits`);
    const rng = new SeededRandom(99);
    const check = async (name: string, row: Float32Array, k: number, mayDecline = false): Promise<void> => {
      const top = await topLogits(backend.fromHost(row, [1, row.length]), k);
      if (mayDecline && top === null) return;
      assert.ok(top, `${name}: candidates found`);
      const expected = topIndices(row, k);
      assert.deepEqual([...top.ids], [...expected], `${name}: ids`);
      assert.deepEqual([...top.values], Array.from(expected, (i) => row[i]!), `${name}: values`);
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let sum = 0;
      for (const v of row) sum += Math.exp(v - max);
      const want = max + Math.log(sum);
      assert.ok(Math.abs(top.logSumExp - want) < 1e-5 * Math.max(1, Math.abs(want)), `${name}: logSumExp ${top.logSumExp} vs ${want}`);
    };
    const V = 262144; // Gemma's vocabulary
    const big = randomValues(rng, V, 8);
    for (const k of [1, 5, 64, 1024]) await check(`V ${V}, k ${k}`, big, k);
    const small = randomValues(rng, 3000, 4);
    for (let i = 0; i < 3000; i += 97) small[i] = 2.5; // ties across the boundary: lower ids first
    small[5] = -0;
    small[6] = 0;
    small[7] = -Infinity;
    for (const k of [1, 10, 31, 32, 33, 200]) await check(`V 3000 with ties, k ${k}`, small, k);
    await check("every logit negative", Float32Array.from(small, (v) => -Math.abs(v) - 1), 17);
    await check("every logit equal: the first k", new Float32Array(3000).fill(1.5), 10);
    // −0 and +0 are one value: the 4th largest is the zero with the lowest id, whichever its sign.
    const zeros = Float32Array.from(small, (v) => -Math.abs(v) - 1);
    zeros.set([3, 2, 1], 100);
    zeros[10] = -0;
    zeros[20] = 0;
    zeros[30] = -0;
    await check("zeros of both signs at the boundary", zeros, 4);
    await check("a row shorter than a thread's share", randomValues(rng, 40, 2), 40);
    // Ties spread over the whole row (every thread's slice): the lowest ids win. Tens of thousands tie at
    // the boundary, so a backend may decline.
    await check("ties across the row", Float32Array.from(randomValues(rng, V, 3), Math.round), 64, true);
    await assert.rejects(async () => topLogits(backend.fromHost(small, [1, 3000]), 0), RangeError);
    await assert.rejects(async () => topLogits(backend.fromHost(small, [1, 3000]), 1025), RangeError);
    await assert.rejects(async () => topLogits(backend.fromHost(small, [2, 1500]), 3), /one row/);
  });
}


function runFixtureSuite(makeBackend: () => Promise<Backend> | Backend, tolerance: number): void {
  for (const name of hfFixtureNames()) {
    it(`${name}: full-pass logits and hidden states, greedy generation through the KV cache, incremental and chunked prefill`, async () => {
      const backend = await makeBackend();
      const decoder = fixtureDecoder(name, backend);
      const ref = readHfReference(name);
      const V = decoder.config.vocabSize;
      const newSession = (maxChunk: number): Session => new Session(decoder, { maxContext: 128, prefillChunk: maxChunk });

      // 1. Full pass (one chunk) over each input sequence; hidden states of sequence 0.
      for (let b = 0; b < ref.inputIds.length; b++) {
        const hiddenReads: Promise<Float32Array>[] = [];
        const session = newSession(ref.inputIds[b]!.length);
        const out = decoder.forward(ref.inputIds[b]!, session.cache, {
          logits: "all",
          ...(b === 0 ? { onHiddenState: (i: number, t: Tensor) => { hiddenReads[i] = backend.read(t); } } : {}),
        });
        const logits = await backend.read(out);
        const hidden = await Promise.all(hiddenReads);
        const d = maxAbsDiff(logits, ref.logits[b]!);
        assert.ok(d <= tolerance, `${name} seq ${b}: max |Δlogit| ${d.toExponential(2)} > ${tolerance}`);
        if (b === 0) {
          assert.equal(hidden.length, ref.hiddenStates.length, "number of hidden states");
          ref.hiddenStates.forEach((expected, i) => {
            const dh = maxAbsDiff(hidden[i]!, expected);
            assert.ok(dh <= tolerance, `${name} hidden_states.${i}: max |Δ| ${dh.toExponential(2)} > ${tolerance}`);
          });
        }
        session.dispose();
      }

      for (let b = 0; b < ref.prompt.length; b++) {
        const prompt = ref.prompt[b]!;
        const output = ref.output[b]!;
        // 2. Greedy decoding through the cache reproduces transformers' tokens exactly.
        const session = newSession(prompt.length);
        let logits = await session.prefill(prompt);
        const generated: number[] = [];
        for (let i = prompt.length; i < output.length; i++) {
          const token = argmaxRow(logits, 0, V);
          generated.push(token);
          if (i + 1 < output.length) logits = await session.step(token);
        }
        session.dispose();
        assert.deepEqual(generated, Array.from(output.subarray(prompt.length)), `${name} seq ${b}: greedy tokens`);

        // 3. generate.logits, computed incrementally (prefill the prompt, then one token at a time)...
        const incremental = newSession(prompt.length);
        const rows: Float32Array[] = [await incremental.prefill(prompt, "all")];
        for (let i = prompt.length; i < output.length; i++) rows.push(await incremental.step(output[i]!));
        incremental.dispose();
        const all = new Float32Array(output.length * V);
        let offset = 0;
        for (const r of rows) { all.set(r, offset); offset += r.length; }
        const di = maxAbsDiff(all, ref.generateLogits[b]!);
        assert.ok(di <= tolerance, `${name} seq ${b} incremental: max |Δlogit| ${di.toExponential(2)}`);
        // ...and with the whole sequence prefilled in chunks of 1, 3 and 7.
        for (const chunk of [1, 3, 7]) {
          const chunked = newSession(chunk);
          const values = await chunked.prefill(output, "all");
          chunked.dispose();
          const dc = maxAbsDiff(values, ref.generateLogits[b]!);
          assert.ok(dc <= tolerance, `${name} seq ${b} chunks of ${chunk}: max |Δlogit| ${dc.toExponential(2)}`);
        }
      }

      // 4. Continuous batching: both sequences in one forward pass at different lengths and positions
      //    (prompts of 10 and 7 tokens), then decoded together until each is done; each gets its own logits.
      const caches = ref.output.map(() => newSession(16));
      const lengths = ref.output.map((o) => o.length);
      const got = ref.output.map((o) => new Float32Array(o.length * V));
      const feed = async (steps: { b: number; from: number; to: number }[]): Promise<void> => {
        const outs = decoder.forwardBatch(steps.map(({ b, from, to }) => ({ ids: ref.output[b]!.subarray(from, to), cache: caches[b]!.cache, logits: "all" as const })));
        for (let i = 0; i < steps.length; i++) got[steps[i]!.b]!.set(await backend.read(outs[i]!), steps[i]!.from * V);
      };
      const next = [10, 7];
      await feed([{ b: 0, from: 0, to: 10 }, { b: 1, from: 0, to: 7 }]);
      while (next.some((n, b) => n < lengths[b]!)) {
        const steps = [0, 1].filter((b) => next[b]! < lengths[b]!).map((b) => ({ b, from: next[b]!, to: next[b]! + 1 }));
        await feed(steps);
        for (const step of steps) next[step.b]!++;
      }
      for (let b = 0; b < 2; b++) {
        const db = maxAbsDiff(got[b]!, ref.generateLogits[b]!);
        assert.ok(db <= tolerance, `${name} batched seq ${b}: max |Δlogit| ${db.toExponential(2)}`);
      }
      caches.forEach((c) => c.dispose());
    });
  }
}
