import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadModel } from "../api/load-model.js";
import { HF_FIXTURES, readHfReference } from "../testing/fixtures.js";

describe("continuous batching", () => {
  it("concurrent greedy streams give the same tokens as one at a time, in fewer passes", async () => {
    const model = await loadModel(join(HF_FIXTURES, "gemma4-ple-kvshare"), { prefillChunk: 4 });
    const ref = readHfReference("gemma4-ple-kvshare");
    const prompts = [ref.prompt[0]!, ref.prompt[1]!, ref.prompt[0]!.subarray(0, 3), ref.inputIds[1]!.subarray(0, 17)];
    const alone = [];
    for (const p of prompts) alone.push(Array.from(await model.generate(p, { greedy: true, maxNewTokens: 12 - (alone.length % 3) * 3, stopTokenIds: [] })));
    const scheduler = model.enableBatching({ maxBatch: 8, maxBatchTokens: 64 });
    const together = await Promise.all(prompts.map(async (p, i) => Array.from(await model.generate(p, { greedy: true, maxNewTokens: 12 - (i % 3) * 3, stopTokenIds: [] }))));
    assert.deepEqual(together, alone);
    assert.deepEqual(together[0], Array.from(ref.output[0]!.subarray(10)));
    const stats = scheduler.stats;
    assert.ok(stats.passes < stats.steps, `batched: ${stats.passes} passes for ${stats.steps} steps`);
    assert.equal(stats.waiting, 0);
    model.dispose();
  });

  it("a step that cannot run (context overflow) fails alone", async () => {
    const model = await loadModel(join(HF_FIXTURES, "gemma3"));
    model.enableBatching({ maxBatch: 4, maxBatchTokens: 64 });
    const ok = model.generate([2, 5, 6], { greedy: true, maxNewTokens: 5 });
    const small = model.createSession({ maxContext: 3 });
    const overflow = small.prefill(Int32Array.of(2, 3, 4, 5));
    await assert.rejects(overflow, /exceed the context of 3/);
    assert.equal((await ok).length, 5);
    small.dispose();
    model.dispose();
  });
});
