import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { GgufModel } from "../../formats/gguf/gguf-model.js";
import { HF_FIXTURES } from "../../testing/fixtures.js";
import { main } from "../main.js";

const dir = mkdtempSync(join(tmpdir(), "cli-convert-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function quietly(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const log = console.log;
  const error = console.error;
  let out = "";
  let err = "";
  console.log = (...a: unknown[]) => { out += `${a.join(" ")}\n`; };
  console.error = (...a: unknown[]) => { err += `${a.join(" ")}\n`; };
  try {
    return { code: await fn(), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

it("gemma4 convert and gemma4 quantize write GGUF files; bad input is one line and exit 2", async () => {
  const f16 = join(dir, "g2.gguf");
  const q = join(dir, "g2-q4km.gguf");
  let r = await quietly(() => main(["convert", join(HF_FIXTURES, "gemma2"), "--to", "gguf", "--out", f16]));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote .*g2\.gguf \(F16/);
  r = await quietly(() => main(["quantize", f16, q, "--quant", "q4_k_m"]));
  assert.equal(r.code, 0, r.err);
  const model = GgufModel.open(q, { quantized: "dequantize" });
  assert.equal(model.config.family, "gemma2");
  assert.equal(model.info("model.layers.0.self_attn.q_proj.weight").ggmlType, "Q5_0"); // 64-wide rows: Q4_K falls back
  model.close();
  for (const argv of [
    ["convert", join(HF_FIXTURES, "gemma2"), "--to", "onnx"],
    ["convert", join(HF_FIXTURES, "gemma2"), "--to", "gguf", "--quant", "Q3_K_S"],
    ["convert", join(dir, "missing"), "--to", "gguf"],
    ["quantize", join(dir, "missing.gguf"), q, "--quant", "Q8_0"],
    ["quantize", f16, f16, "--quant", "Q8_0"],
  ]) {
    r = await quietly(() => main(argv));
    assert.equal(r.code, 2, argv.join(" "));
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
  }
  assert.ok(!existsSync(join(dir, "missing-F16.gguf")));
});
