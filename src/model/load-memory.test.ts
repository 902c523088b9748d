/**
 * Loading must stream tensor by tensor: peak RSS while loading a ~500 MB checkpoint stays within 1.3× the
 * file size (Node's own baseline included). Measured in fresh child processes so nothing else counts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { PACKAGE_ROOT } from "../testing/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "gemma4-mem-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const dist = (p: string): string => JSON.stringify(join(PACKAGE_ROOT, "dist", p));

function node(script: string): string {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", maxBuffer: 1 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

it("peak RSS while loading a ~500 MB bf16 checkpoint is ≤ 1.3× its size", { timeout: 300_000 }, () => {
  // 11 layers of hidden 1280 / MLP 4096 plus a 32,000-token vocabulary: ≈ 257 M parameters ≈ 514 MB in bf16.
  node(`
    import { writeRandomCheckpoint, tinyGemma4Config } from ${dist("model/random-checkpoint.js")};
    writeRandomCheckpoint(${JSON.stringify(dir)}, tinyGemma4Config({
      vocab_size: 32000, hidden_size: 1280, intermediate_size: 4096, num_hidden_layers: 11, num_attention_heads: 10,
      num_key_value_heads: 2, head_dim: 128, global_head_dim: 256, num_global_key_value_heads: 2, sliding_window: 512,
      layer_types: Array.from({ length: 11 }, (_, i) => (i + 1) % 6 === 0 || i === 10 ? "full_attention" : "sliding_attention"),
    }), { dtype: "bf16", seed: 1 });
  `);
  const fileBytes = statSync(join(dir, "model.safetensors")).size;
  const report = JSON.parse(node(`
    import { loadModel } from ${dist("index.js")};
    const before = process.memoryUsage().rss;
    const model = await loadModel(${JSON.stringify(dir)});
    const logits = await model.logits([2, 3]);
    console.log(JSON.stringify({ before, peak: process.resourceUsage().maxRSS * 1024, finite: logits.every(Number.isFinite) }));
  `)) as { before: number; peak: number; finite: boolean };
  const ratio = report.peak / fileBytes;
  console.log(`checkpoint ${(fileBytes / 1e6).toFixed(0)} MB; RSS before load ${(report.before / 1e6).toFixed(0)} MB; peak RSS ${(report.peak / 1e6).toFixed(0)} MB = ${ratio.toFixed(3)}× the file`);
  assert.ok(fileBytes > 450e6, `checkpoint is ${fileBytes} bytes`);
  assert.ok(report.finite, "logits are finite");
  assert.ok(ratio <= 1.3, `peak RSS ${ratio.toFixed(3)}× the file size`);
});
