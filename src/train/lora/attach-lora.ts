/**
 * Puts LoRA on a TrainableModel: each targeted Linear weight W becomes a `LoraWeight` (W frozen, A and B
 * trainable), swapped into its decoder slot, and every other parameter is frozen. Fresh adapters start as
 * PEFT's do: A ~ kaiming-uniform (bound 1/√in), B = 0, so the adapted model starts equal to the base.
 */
import { BadRequestError } from "../../errors.js";
import { SeededRandom } from "../../engine/rng.js";
import { weightSpecs } from "../../model/weight-table.js";
import { LoraWeight, Parameter } from "../autograd/parameter.js";
import type { TrainableModel } from "../trainable-model.js";
import { setSlot } from "../weight-slots.js";
import { checkLoraSpec, isLinearWeightName, type LoraSpec, loraScaling, matchesTarget, peftTensorName } from "./lora-spec.js";

export interface AttachedLora {
  readonly spec: LoraSpec;
  /** Adapted weights by checkpoint name. */
  readonly weights: ReadonlyMap<string, LoraWeight>;
}

/**
 * `tensors` supplies A/B values by PEFT name (a loaded adapter, or shared memory in a worker); missing ones
 * are initialised from `seed`. Given tensors are used as the parameters' storage, not copied.
 */
export function attachLora(model: TrainableModel, spec: LoraSpec, tensors: ReadonlyMap<string, Float32Array> = new Map(), seed = 0): AttachedLora {
  checkLoraSpec(spec);
  const rng = new SeededRandom(seed * 1000003 + 9);
  const scaling = loraScaling(spec);
  const adapted = new Map<string, LoraWeight>();
  for (const p of model.parameters) p.trainable = false;
  for (const ws of weightSpecs(model.config)) {
    if (ws.slot === "lmHead") continue;
    const name = model.prefix + ws.name;
    if (!isLinearWeightName(name) || !matchesTarget(name, spec.targetModules)) continue;
    const base = model.parameter(name);
    const [outDim, inDim] = base.shape as [number, number];
    const a = loraTensor(tensors, peftTensorName(name, "A"), [spec.rank, inDim], () => {
      const bound = 1 / Math.sqrt(inDim);
      return (rng.nextFloat() * 2 - 1) * bound;
    });
    const b = loraTensor(tensors, peftTensorName(name, "B"), [outDim, spec.rank], () => 0);
    model.addParameter(a);
    model.addParameter(b);
    const weight = new LoraWeight(base, a, b, scaling, spec.dropout);
    setSlot(model.weights, ws.slot, weight);
    adapted.set(name, weight);
  }
  if (adapted.size === 0) throw new BadRequestError(`no Linear weight matches the LoRA targets ${spec.targetModules.join(", ")}`, "targetModules");
  return { spec, weights: adapted };
}

function loraTensor(tensors: ReadonlyMap<string, Float32Array>, name: string, shape: [number, number], init: () => number): Parameter {
  const n = shape[0] * shape[1];
  let data = tensors.get(name);
  if (data) {
    if (data.length !== n) throw new BadRequestError(`LoRA tensor ${name} has ${data.length} values, expected [${shape.join(", ")}]`, "adapter");
  } else {
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = init();
  }
  const p = new Parameter(shape, data, "f32", true);
  p.name = name;
  return p;
}
