import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BadPathError, BadRequestError } from "../errors.js";
import { HF_FIXTURES, maxAbsDiff, readHfReference } from "../testing/fixtures.js";
import { loadModel } from "./load-model.js";

describe("public API: loadModel → Model", () => {
  it("logits, generate and stream reproduce transformers", async () => {
    const model = await loadModel(join(HF_FIXTURES, "gemma4-moe"));
    const ref = readHfReference("gemma4-moe");
    assert.equal(model.config.family, "gemma4");
    assert.ok(maxAbsDiff(await model.logits(Array.from(ref.inputIds[1]!)), ref.logits[1]!) <= 1e-4);
    const prompt = ref.prompt[0]!;
    const expected = Array.from(ref.output[0]!.subarray(prompt.length));
    const ids = await model.generate(prompt, { greedy: true, maxNewTokens: expected.length, stopTokenIds: [] });
    assert.deepEqual(Array.from(ids), expected);
    const streamed: number[] = [];
    let finish: string | undefined;
    for await (const t of model.stream(prompt, { maxNewTokens: 5, stopTokenIds: [] })) {
      streamed.push(t.id);
      assert.ok(t.logprob <= 0);
      finish = t.finishReason ?? finish;
    }
    assert.deepEqual(streamed, expected.slice(0, 5));
    assert.equal(finish, "length");
    model.dispose();
  });

  it("stops on a stop token and returns it; zero new tokens returns nothing", async () => {
    const model = await loadModel(join(HF_FIXTURES, "gemma2"));
    const ref = readHfReference("gemma2");
    const prompt = ref.prompt[1]!;
    const continuation = Array.from(ref.output[1]!.subarray(prompt.length));
    const stop = continuation[2]!;
    const ids = await model.generate(prompt, { maxNewTokens: 12, stopTokenIds: [stop] });
    assert.deepEqual(Array.from(ids), continuation.slice(0, continuation.indexOf(stop) + 1));
    assert.equal((await model.generate(prompt, { maxNewTokens: 0 })).length, 0);
    model.dispose();
  });

  it("seeded sampling is reproducible", async () => {
    const model = await loadModel(join(HF_FIXTURES, "gemma3"));
    const options = { temperature: 1, topK: 50, topP: 0.9, seed: 11, maxNewTokens: 10, stopTokenIds: [] };
    const a = await model.generate([2, 10, 20], options);
    const b = await model.generate([2, 10, 20], options);
    assert.deepEqual(Array.from(a), Array.from(b));
    model.dispose();
  });

  it("bad input is a typed error", async () => {
    await assert.rejects(loadModel(join(HF_FIXTURES, "nope")), BadPathError);
    await assert.rejects(loadModel(join(HF_FIXTURES, "gemma3", "config.json")), BadPathError);
    const model = await loadModel(join(HF_FIXTURES, "gemma1-mqa"));
    await assert.rejects(model.logits([2, 512]), (e: unknown) => e instanceof BadRequestError && /token id 512 is outside the vocabulary/.test(e.message));
    await assert.rejects(model.logits([]), (e: unknown) => e instanceof BadRequestError && /prompt is empty/.test(e.message));
    await assert.rejects(model.generate([2, -1]), BadRequestError);
    const session = model.createSession({ maxContext: 4 });
    await assert.rejects(session.prefill(Int32Array.of(2, 3, 4, 5, 6)), (e: unknown) => e instanceof BadRequestError && /5 tokens exceed the context of 4/.test(e.message));
    session.dispose();
    model.dispose();
  });
});
