/** A model folder (and optionally a PEFT adapter on it) as a TrainableModel. */
import { TrainableModel } from "./trainable-model.js";
import { attachLora } from "./lora/attach-lora.js";
import { readPeftAdapter } from "./lora/peft-adapter.js";

export function loadTrainableModel(dir: string, loraDir: string | null = null): TrainableModel {
  const model = TrainableModel.fromFolder(dir);
  if (loraDir) {
    const adapter = readPeftAdapter(loraDir);
    attachLora(model, adapter.spec, adapter.tensors);
  }
  return model;
}
