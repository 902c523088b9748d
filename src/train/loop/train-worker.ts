/**
 * Entry point of a training worker thread (see gradient-engine.ts): builds the model over the shared
 * weights, then answers gradient and evaluation requests, one at a time, in the order they arrive.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openExamples } from "../data/example-source.js";
import type { LossSum, WorkerInit, WorkerRequest } from "./gradient-engine.js";
import { modelFromSetup } from "./model-setup.js";

const init = workerData as WorkerInit;
const { model } = modelFromSetup(init.setup);
const grads = new Map(init.gradLayout.map((g) => [g.name, new Float32Array(init.gradBuffer, g.offset * 4, g.size)]));
for (const p of model.parameters) if (p.trainable) p.grad = grads.get(p.name) ?? null;
const train = openExamples(init.data.train);
const validation = init.data.validation ? openExamples(init.data.validation) : null;

parentPort!.on("message", (request: WorkerRequest) => {
  try {
    let result: LossSum;
    if (request.kind === "gradients") {
      model.zeroGradients();
      model.backend.training = true;
      result = model.accumulateGradients(request.indices.map((i) => train.example(i)), 1, request.dropoutSeed, init.data.microBatch);
    } else {
      if (!validation) throw new Error("no validation data");
      result = model.evaluate(request.indices.map((i) => validation.example(i)), init.data.microBatch);
    }
    parentPort!.postMessage(result);
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e) });
  }
});
