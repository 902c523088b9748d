import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SafetensorsCheckpoint } from "../../formats/safetensors-checkpoint.js";
import { SafetensorsFile } from "../../formats/safetensors.js";
import { HF_FIXTURES } from "../../testing/fixtures.js";
import { PackedTokenWriter } from "../data/packed-token-file.js";
import { DEFAULT_ADAMW } from "../optim/adamw.js";
import type { ProgressLine } from "./progress-line.js";
import { type RunSpec, runTraining, type TrainerSettings } from "./training-run.js";

const MODEL = join(HF_FIXTURES, "gemma4-dense");
const work = mkdtempSync(join(tmpdir(), "gemma4-train-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A small corpus with structure to learn: repeated arithmetic-like runs of ids. */
function writeCorpus(path: string, documents: number): void {
  const writer = new PackedTokenWriter(path, { vocabSize: 512, bosId: 2, eosId: 1 });
  for (let d = 0; d < documents; d++) writer.appendDocument(Array.from({ length: 40 }, (_, i) => 10 + ((d * 7 + i * 3) % 50)));
  writer.close();
}

const silent: ProgressLine = { update() {}, message() {}, done() {} };

function spec(outDir: string, overrides: Partial<TrainerSettings> = {}, extra: Partial<RunSpec> = {}): RunSpec {
  const settings: TrainerSettings = {
    steps: 6, batchSize: 4, microBatch: 2, schedule: { peak: 3e-3, warmupSteps: 2, totalSteps: 6, minRatio: 0.1 },
    adamw: DEFAULT_ADAMW, gradClip: 1, evalEvery: 3, evalSequences: 4, checkpointEvery: 3, seed: 5, recompute: false, ...overrides,
  };
  return {
    outDir, configJson: readFileSync(join(MODEL, "config.json"), "utf8"), openSource: () => SafetensorsCheckpoint.open(MODEL), companionsFrom: MODEL,
    lora: null, data: { train: { path: join(work, "train.tokens"), sequenceLength: 16 }, validation: { path: join(work, "validation.tokens"), sequenceLength: 16 }, microBatch: 2 },
    settings, workers: 0, saveDtype: "f32", resumeFrom: null, progress: silent, ...extra,
  };
}

function weights(dir: string): Map<string, Float32Array> {
  const f = SafetensorsFile.open(join(dir, "model.safetensors"));
  try {
    return new Map([...f.tensors.keys()].map((n) => [n, f.read(n).data as Float32Array]));
  } finally {
    f.close();
  }
}

describe("training runs", () => {
  writeCorpus(join(work, "train.tokens"), 12);
  writeCorpus(join(work, "validation.tokens"), 3);

  it("a run interrupted at step 3 and resumed repeats the uninterrupted run's losses and weights exactly", async () => {
    const whole = await runTraining(spec(join(work, "whole")));
    assert.equal(whole.history.steps.length, 6);
    assert.ok(whole.history.steps[5]!.loss < whole.history.steps[0]!.loss, "loss goes down");
    const first = await runTraining(spec(join(work, "part"), {}, { stopAfter: 3 }));
    assert.equal(first.history.steps.length, 3);
    const resumed = await runTraining(spec(join(work, "part"), {}, { resumeFrom: join(work, "part", "checkpoints", "step-3") }));
    assert.deepEqual(resumed.history.steps.map((s) => s.loss), whole.history.steps.map((s) => s.loss));
    assert.deepEqual(resumed.history.evals.map((e) => e.loss), whole.history.evals.map((e) => e.loss));
    assert.equal(resumed.finalValidationLoss, whole.finalValidationLoss);
    const a = weights(join(work, "whole"));
    const b = weights(join(work, "part"));
    for (const [name, w] of a) assert.deepEqual(b.get(name), w, name);
    assert.match(readFileSync(join(work, "whole", "loss-curve.svg"), "utf8"), /<svg[^>]*>[\s\S]*polyline/);
  });

  it("two worker threads give the same losses as one thread (to float rounding)", async () => {
    const threaded = await runTraining(spec(join(work, "threaded"), { steps: 2, evalEvery: 0, checkpointEvery: 0 }, { workers: 2 }));
    const single = await runTraining(spec(join(work, "single"), { steps: 2, evalEvery: 0, checkpointEvery: 0 }));
    threaded.history.steps.forEach((s, i) => assert.ok(Math.abs(s.loss - single.history.steps[i]!.loss) < 1e-4, `step ${i + 1}`));
  });
});
