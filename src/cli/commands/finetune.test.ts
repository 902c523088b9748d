import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadModel } from "../../api/load-model.js";
import { HF_FIXTURES, maxAbsDiff, readHfReference } from "../../testing/fixtures.js";
import { PackedTokenWriter } from "../../train/data/packed-token-file.js";
import { finetuneCommand } from "./finetune.js";
import { mergeCommand } from "./merge.js";
import { perplexityCommand } from "./perplexity.js";

const MODEL = join(HF_FIXTURES, "gemma4-dense");
const work = mkdtempSync(join(tmpdir(), "gemma4-finetune-"));
after(() => rmSync(work, { recursive: true, force: true }));

async function captured(fn: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  const write = process.stderr.write;
  console.log = (...args: unknown[]) => { lines.push(args.join(" ")); };
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
  return lines.join("\n");
}

describe("gemma4 finetune → merge → perplexity", () => {
  const data = join(work, "data.tokens");
  const writer = new PackedTokenWriter(data, { vocabSize: 512, bosId: 2, eosId: 1 });
  for (let d = 0; d < 10; d++) writer.appendDocument(Array.from({ length: 30 }, (_, i) => 20 + ((d + i * 5) % 40)));
  writer.close();
  const out = join(work, "adapter");

  it("finetune writes a PEFT adapter whose held-out loss went down", async () => {
    await captured(() => finetuneCommand.run([MODEL, "--data", data, "--steps", "8", "--lora-r", "2", "--lr", "1e-2", "--workers", "0",
      "--sequence-length", "16", "--batch-size", "4", "--micro-batch", "2", "--warmup", "1", "--eval-every", "4", "--validation-fraction", "0.2", "--out", out]));
    assert.ok(existsSync(join(out, "adapter_config.json")) && existsSync(join(out, "adapter_model.safetensors")));
    const log = JSON.parse(readFileSync(join(out, "training-log.json"), "utf8")) as { history: { evals: { loss: number }[]; steps: { loss: number }[] } };
    assert.ok(log.history.steps.at(-1)!.loss < log.history.steps[0]!.loss, "training loss went down");
    assert.ok(log.history.evals.at(-1)!.loss < log.history.evals[0]!.loss, "validation loss went down");
  });

  it("merge writes a model whose logits equal the adapter's (≤ 1e-5)", async () => {
    const merged = join(work, "merged");
    await captured(() => mergeCommand.run([MODEL, "--lora", out, "--out", merged]));
    const ids = readHfReference("gemma4-dense").inputIds[0]!;
    const a = await loadModel(merged);
    const b = await loadModel(MODEL, { lora: out });
    try {
      assert.ok(maxAbsDiff(await a.logits(ids), await b.logits(ids)) <= 1e-5);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it("perplexity prints cross-entropy and perplexity, with and without the adapter", async () => {
    const ids = Array.from(readHfReference("gemma4-dense").inputIds[0]!).join(",");
    const base = JSON.parse(await captured(() => perplexityCommand.run([MODEL, "--prompt-ids", ids, "--json"]))) as { crossEntropy: number; perplexity: number; tokens: number };
    const want = JSON.parse(readFileSync(join(MODEL, "train.json"), "utf8")) as { loss: number };
    assert.equal(base.tokens, 23);
    assert.ok(Math.abs(base.perplexity - Math.exp(base.crossEntropy)) < 1e-9);
    assert.ok(Math.abs(base.crossEntropy - want.loss) < 0.2, "close to the two-sequence loss of the same model");
    const text = await captured(() => perplexityCommand.run([MODEL, "--data", data, "--sequence-length", "16", "--lora", out]));
    assert.match(text, /^cross-entropy \d+\.\d+ nats\/token .* perplexity \d+\.\d+$/);
  });
});
