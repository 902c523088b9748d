#!/usr/bin/env node
// Max |Δlogit| of the WebGPU backend on every HF fixture (npm run build first; any adapter, llvmpipe too):
//   vs transformers (the fixture's logits), vs the reference backend with the same weights, and — with
//   every weight converted to bf16 — vs the reference backend given the same bf16 weights.
// Full pass over each reference input sequence, then prefill + incremental decode of the generation.
import { join } from "node:path";
import { WebGpuBackend } from "../dist/backends/webgpu/webgpu-backend.js";
import { ReferenceBackend } from "../dist/backends/reference/reference-backend.js";
import { readHfConfig } from "../dist/formats/hf-config.js";
import { SafetensorsCheckpoint } from "../dist/formats/safetensors-checkpoint.js";
import { GemmaDecoder } from "../dist/model/decoder.js";
import { loadModelWeights } from "../dist/model/model-weights.js";
import { Session } from "../dist/engine/session.js";
import { HF_FIXTURES, hfFixtureNames, maxAbsDiff, readHfReference } from "../dist/testing/fixtures.js";
import { fromFloat32, toFloat32 } from "../dist/formats/dtype.js";

/** Wraps a backend so every uploaded weight is first rounded to bf16. */
function asBf16(backend) {
  const wrapped = Object.create(backend);
  wrapped.uploadWeight = (w) => backend.uploadWeight({ dtype: "bf16", shape: w.shape, data: fromFloat32("bf16", toFloat32(w.dtype, w.data)) });
  return wrapped;
}

async function logitsOf(backend, name, bf16) {
  const dir = join(HF_FIXTURES, name);
  const { config } = readHfConfig(dir);
  const checkpoint = SafetensorsCheckpoint.open(dir);
  const decoder = new GemmaDecoder(config, loadModelWeights(config, checkpoint, bf16 ? asBf16(backend) : backend), backend);
  checkpoint.close();
  const ref = readHfReference(name);
  const out = [];
  for (const ids of ref.inputIds) {
    const session = new Session(decoder, { maxContext: 128, prefillChunk: ids.length });
    out.push(await session.prefill(ids, "all"));
    session.dispose();
  }
  for (let b = 0; b < ref.prompt.length; b++) {
    const session = new Session(decoder, { maxContext: 128, prefillChunk: ref.prompt[b].length });
    out.push(await session.prefill(ref.prompt[b], "all"));
    for (let i = ref.prompt[b].length; i < ref.output[b].length; i++) out.push(await session.step(ref.output[b][i]));
    session.dispose();
  }
  return { out, ref };
}

const gpu = await WebGpuBackend.create();
console.log(`adapter: ${gpu.adapter.vendor} ${gpu.adapter.device} (${gpu.adapter.description})`);
console.log("fixture | weights | max|Δ| vs transformers | max|Δ| vs reference backend | bf16 weights: max|Δ| vs reference (bf16)");
for (const name of hfFixtureNames()) {
  const g = await logitsOf(gpu, name, false);
  const r = await logitsOf(new ReferenceBackend(), name, false);
  const hf = [...g.ref.logits, ...g.ref.generateLogits];
  const flat = (rows) => Float32Array.from(rows.flatMap((x) => Array.from(x)));
  const dHf = maxAbsDiff(flat(g.out), flat(hf));
  const dRef = maxAbsDiff(flat(g.out), flat(r.out));
  const gb = await logitsOf(gpu, name, true);
  const rb = await logitsOf(new ReferenceBackend(), name, true);
  const dBf = maxAbsDiff(flat(gb.out), flat(rb.out));
  const { dtype } = readHfConfig(join(HF_FIXTURES, name));
  console.log(`${name} | ${dtype ?? "?"} | ${dHf.toExponential(2)} | ${dRef.toExponential(2)} | ${dBf.toExponential(2)}`);
}
gpu.dispose();
