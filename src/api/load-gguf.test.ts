import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { convertToGguf } from "../formats/gguf/convert-to-gguf.js";
import { readHfConfig } from "../formats/hf-config.js";
import { SafetensorsCheckpoint } from "../formats/safetensors-checkpoint.js";
import { readFileSync } from "node:fs";
import { writeChatTestModel } from "../testing/chat-test-model.js";
import { HF_FIXTURES, maxAbsDiff, readHfReference } from "../testing/fixtures.js";
import { describeModel } from "./describe-model.js";
import { loadModel } from "./load-model.js";

const dir = mkdtempSync(join(tmpdir(), "gemma4-gguf-load-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function convert(modelDir: string, out: string, mix: "F32" | "Q8_0", withTokenizer = false): string {
  const { config } = readHfConfig(modelDir);
  const source = SafetensorsCheckpoint.open(modelDir);
  try {
    convertToGguf(config, source, out, {
      mix,
      ...(withTokenizer ? { tokenizerJson: JSON.parse(readFileSync(join(modelDir, "tokenizer.json"), "utf8")) as unknown, chatTemplate: readFileSync(join(modelDir, "chat_template.jinja"), "utf8") } : {}),
    });
  } finally {
    source.close();
  }
  return out;
}

describe("loadModel on GGUF files", () => {
  it("an F32 GGUF written from a fixture gives transformers' logits; info describes it", async () => {
    const file = convert(join(HF_FIXTURES, "gemma4-moe"), join(dir, "moe.gguf"), "F32");
    const model = await loadModel(file);
    const ref = readHfReference("gemma4-moe");
    assert.ok(maxAbsDiff(await model.logits(ref.inputIds[0]!), ref.logits[0]!) <= 1e-4);
    model.dispose();
    const info = describeModel(file);
    assert.equal(info.config.moe?.numExperts, 8);
    assert.equal(info.config.numLayers, 6);
  });

  it("a GGUF carries the tokenizer and chat template: chat prompts and greedy answers match the folder", async () => {
    const folder = writeChatTestModel(join(dir, "chat"));
    const file = convert(folder, join(dir, "chat.gguf"), "F32", true);
    const [a, b] = await Promise.all([loadModel(folder), loadModel(file)]);
    const messages = [{ role: "user", content: "Call me Ishmael." }];
    assert.deepEqual(Array.from(b.chatFormatter.encode(messages)), Array.from(a.chatFormatter.encode(messages)));
    const answer = async (m: typeof a): Promise<number[]> => {
      const ids: number[] = [];
      for await (const e of m.chat({ messages, greedy: true, maxNewTokens: 6 })) if (e.type === "token") ids.push(e.id);
      return ids;
    };
    assert.deepEqual(await answer(b), await answer(a));
    a.dispose();
    b.dispose();
  });

  it("a Q8_0 GGUF loads its blocks and stays close to the float model on every CPU backend", async () => {
    const file = convert(join(HF_FIXTURES, "gemma3"), join(dir, "q8.gguf"), "Q8_0");
    const ref = readHfReference("gemma3");
    // The reference dequantizes exactly; the default (cpu) backend also rounds activations to 8 bits, as ggml.
    for (const [backend, tolerance] of [["reference", 0.1], [undefined, 0.15]] as const) {
      const model = await loadModel(file, backend ? { backend } : {});
      const d = maxAbsDiff(await model.logits(ref.inputIds[0]!), ref.logits[0]!);
      assert.ok(d < tolerance, `${model.backend.name}: Q8_0 max |Δlogit| ${d}`);
      model.dispose();
    }
  });
});
