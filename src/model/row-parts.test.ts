/**
 * Gather-only tables loaded in row parts (row-parts.ts) give exactly the logits of the table loaded whole:
 * the per-layer embedding fixtures, split into uneven parts, from safetensors (bf16) and from GGUF (Q8_0
 * blocks and F32), on the reference and the CPU backend.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createBackend } from "../backends/create-backend.js";
import type { Backend } from "../backends/ops.js";
import { ReferenceBackend } from "../backends/reference/reference-backend.js";
import { convertToGguf } from "../formats/gguf/convert-to-gguf.js";
import { GgufModel } from "../formats/gguf/gguf-model.js";
import { quantizeGguf } from "../formats/gguf/quantize-gguf.js";
import { readHfConfig } from "../formats/hf-config.js";
import { SafetensorsCheckpoint } from "../formats/safetensors-checkpoint.js";
import type { TensorSource } from "../formats/tensor-source.js";
import { HF_FIXTURES, readHfReference } from "../testing/fixtures.js";
import { GemmaDecoder } from "./decoder.js";
import { KvCache } from "./kv-cache.js";
import type { ModelConfig } from "./model-config.js";
import { listWeights, loadModelWeights } from "./model-weights.js";
import { embedRows, isRowParts } from "./row-parts.js";

const tmp = mkdtempSync(join(tmpdir(), "gemma4-row-parts-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function logits(config: ModelConfig, source: TensorSource, backend: Backend, ids: Int32Array, maxTablePartBytes?: number): Promise<{ values: Float32Array; parts: number }> {
  const weights = loadModelWeights(config, source, backend, undefined, maxTablePartBytes ? { maxTablePartBytes } : {});
  const table = weights.perLayer!.embed;
  const decoder = new GemmaDecoder(config, weights, backend);
  const values = await backend.read(decoder.forward(ids, new KvCache(backend, config, { maxContext: 64, maxChunk: 64 }), { logits: "all" }));
  for (const w of listWeights(weights)) backend.release(w);
  return { values, parts: isRowParts(table) ? table.parts.length : 1 };
}

describe("row-parted embedding tables", () => {
  for (const fixture of ["gemma4-ple-bf16", "gemma4-ple-kvshare"]) {
    for (const backendName of ["reference", "cpu"]) {
      it(`${fixture} on ${backendName}: split tables give the same logits as whole ones (safetensors, GGUF Q8_0 and F32)`, async () => {
        const backend: Backend = backendName === "reference" ? new ReferenceBackend() : await createBackend("cpu", { threads: 2 });
        const dir = join(HF_FIXTURES, fixture);
        const { config } = readHfConfig(dir);
        const ids = readHfReference(fixture).inputIds[0]!;
        const checkpoint = SafetensorsCheckpoint.open(dir);
        const rows = config.perLayerEmbedding!.vocabSize;
        const tableName = checkpoint.tensorNames.find((n) => n.endsWith("embed_tokens_per_layer.weight"))!;
        const rowBytes = checkpoint.info(tableName).byteLength / rows;
        // 7 rows per part: ids fall in many parts, and the last part is short.
        const sources: [string, TensorSource, ModelConfig][] = [["safetensors", checkpoint, config]];
        for (const mix of ["Q8_0", "F32"] as const) {
          const path = join(tmp, `${fixture}-${backendName}-${mix}.gguf`);
          convertToGguf(config, checkpoint, path, { mix });
          const gguf = GgufModel.open(path);
          sources.push([`GGUF ${mix}`, gguf, gguf.config]);
        }
        for (const [label, source, cfg] of sources) {
          const whole = await logits(cfg, source, backend, ids);
          const split = await logits(cfg, source, backend, ids, Math.ceil(7 * rowBytes));
          assert.equal(whole.parts, 1, `${label}: loaded whole by default`);
          assert.ok(split.parts >= 20, `${label}: ${split.parts} parts`);
          assert.deepEqual(split.values, whole.values, `${label}: identical logits`);
          source.close();
        }
      });
    }
  }

  it("conversion to GGUF in row pieces writes the same file as whole tensors", () => {
    const dir = join(HF_FIXTURES, "gemma4-ple-kvshare");
    const { config } = readHfConfig(dir);
    const checkpoint = SafetensorsCheckpoint.open(dir);
    for (const mix of ["F16", "Q8_0", "Q4_K_M"] as const) {
      const whole = join(tmp, `whole-${mix}.gguf`);
      const pieces = join(tmp, `pieces-${mix}.gguf`);
      convertToGguf(config, checkpoint, whole, { mix });
      convertToGguf(config, checkpoint, pieces, { mix, pieceBytes: 1000 });
      assert.ok(readFileSync(pieces).equals(readFileSync(whole)), `${mix}: byte-identical`);
    }
    // gemma4 quantize (GGUF → GGUF) in row pieces, too.
    const f32 = join(tmp, "whole-F32.gguf");
    convertToGguf(config, checkpoint, f32, { mix: "F32" });
    quantizeGguf(f32, join(tmp, "q-whole.gguf"), "Q4_K_M");
    quantizeGguf(f32, join(tmp, "q-pieces.gguf"), "Q4_K_M", undefined, 1000);
    assert.ok(readFileSync(join(tmp, "q-pieces.gguf")).equals(readFileSync(join(tmp, "q-whole.gguf"))), "quantize: byte-identical");
    checkpoint.close();
  });

  it("gathers rows across parts in the order asked, and rejects ids outside the table", () => {
    const backend = new ReferenceBackend();
    const values = Float32Array.from({ length: 10 * 3 }, (_, i) => i);
    const parts = [0, 4, 8].map((start) => {
      const count = Math.min(4, 10 - start);
      return backend.uploadWeight({ dtype: "f32", shape: [count, 3], data: values.slice(start * 3, (start + count) * 3) });
    });
    const table = { kind: "row-parts" as const, shape: [10, 3], dtype: "f32" as const, parts, rowsPerPart: 4 };
    const ids = Int32Array.of(9, 0, 1, 5, 4, 3, 8);
    const got = backend.readSync(embedRows(backend, table, ids, 2));
    assert.deepEqual(Array.from(got), Array.from(ids).flatMap((id) => [0, 1, 2].map((j) => 2 * (3 * id + j))));
    assert.throws(() => embedRows(backend, table, Int32Array.of(10), 1), /outside the embedding table/);
  });
});
