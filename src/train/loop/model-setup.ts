/**
 * The trainable model's tensors in one SharedArrayBuffer, described by a plain serialisable `ModelSetup`,
 * so worker threads can build identical TrainableModels whose parameters are views of the same memory: the
 * main thread's optimizer updates them in place and every worker sees the new values at its next step.
 */
import { BadRequestError } from "../../errors.js";
import { SeededRandom } from "../../engine/rng.js";
import { toFloat32, type Dtype } from "../../formats/dtype.js";
import { parseHfConfig } from "../../formats/hf-config.js";
import { JsonFields } from "../../formats/json-fields.js";
import type { TensorSource } from "../../formats/tensor-source.js";
import { detectPrefix } from "../../model/model-weights.js";
import { LM_HEAD_NAMES, weightSpecs } from "../../model/weight-table.js";
import { attachLora, type AttachedLora } from "../lora/attach-lora.js";
import { isLinearWeightName, type LoraSpec, matchesTarget, peftTensorName } from "../lora/lora-spec.js";
import { MemoryTensorSource } from "../random-init.js";
import { TrainableModel } from "../trainable-model.js";

export interface TensorSlot {
  readonly name: string;
  readonly shape: readonly number[];
  /** Offset in float32 elements into the shared buffer. */
  readonly offset: number;
  /** The checkpoint's dtype (kept when the model is saved). */
  readonly storedDtype: Dtype;
}

export interface ModelSetup {
  /** config.json as text; every thread parses it the same way. */
  readonly configJson: string;
  readonly tensors: readonly TensorSlot[];
  readonly lora: { readonly spec: LoraSpec; readonly tensors: readonly TensorSlot[] } | null;
  readonly buffer: SharedArrayBuffer;
  readonly recompute: boolean;
}

export interface SetupOptions {
  readonly lora?: { readonly spec: LoraSpec; readonly initial?: ReadonlyMap<string, Float32Array>; readonly seed: number };
  readonly recompute?: boolean;
}

/** Copies `source`'s tensors (as float32) into shared memory and lays out LoRA tensors after them. */
export function createModelSetup(configJson: string, source: TensorSource, options: SetupOptions = {}): ModelSetup {
  const { config } = parseHfConfig(JsonFields.parse("config.json", configJson), null);
  const prefix = detectPrefix(source);
  const base: { name: string; shape: readonly number[] }[] = [];
  for (const spec of weightSpecs(config)) {
    const name = spec.slot === "lmHead" ? LM_HEAD_NAMES.find((n) => source.has(n)) ?? spec.name : prefix + spec.name;
    base.push({ name, shape: spec.shape });
  }
  const loraShapes: { name: string; shape: readonly number[] }[] = [];
  if (options.lora) {
    const r = options.lora.spec.rank;
    for (const { name, shape } of base) {
      if (!isLinearWeightName(name) || !matchesTarget(name, options.lora.spec.targetModules)) continue;
      loraShapes.push({ name: peftTensorName(name, "A"), shape: [r, shape[1]!] });
      loraShapes.push({ name: peftTensorName(name, "B"), shape: [shape[0]!, r] });
    }
    if (loraShapes.length === 0) throw new BadRequestError(`no Linear weight matches the LoRA targets ${options.lora.spec.targetModules.join(", ")}`, "targetModules");
  }
  let total = 0;
  const place = (t: { name: string; shape: readonly number[] }, storedDtype: Dtype): TensorSlot => {
    const slot = { name: t.name, shape: t.shape, offset: total, storedDtype };
    total += t.shape.reduce((a, b) => a * b, 1);
    return slot;
  };
  const tensors = base.map((t) => place(t, source.info(t.name).dtype));
  const loraTensors = loraShapes.map((t) => place(t, "f32"));
  const buffer = new SharedArrayBuffer(total * 4);
  const view = (slot: TensorSlot): Float32Array => new Float32Array(buffer, slot.offset * 4, slot.shape.reduce((a, b) => a * b, 1));
  for (const slot of tensors) {
    const stored = source.read(slot.name);
    view(slot).set(stored.dtype === "f32" ? (stored.data as Float32Array) : toFloat32(stored.dtype, stored.data));
  }
  if (options.lora) {
    const rng = new SeededRandom(options.lora.seed * 1000003 + 9);
    for (const slot of loraTensors) {
      const given = options.lora.initial?.get(slot.name);
      const v = view(slot);
      if (given) {
        if (given.length !== v.length) throw new BadRequestError(`LoRA tensor ${slot.name} has ${given.length} values, expected [${slot.shape.join(", ")}]`, "adapter");
        v.set(given);
      } else if (slot.name.endsWith("lora_A.weight")) {
        // PEFT's default: kaiming-uniform with a = √5, i.e. U(−1/√in, 1/√in); B starts at zero.
        const bound = 1 / Math.sqrt(slot.shape[1]!);
        for (let i = 0; i < v.length; i++) v[i] = (rng.nextFloat() * 2 - 1) * bound;
      }
    }
  }
  return { configJson, tensors, lora: options.lora ? { spec: options.lora.spec, tensors: loraTensors } : null, buffer, recompute: options.recompute ?? false };
}

export interface BuiltModel {
  readonly model: TrainableModel;
  readonly lora: AttachedLora | null;
}

/** Builds a TrainableModel whose parameters are views of the setup's shared memory. */
export function modelFromSetup(setup: ModelSetup): BuiltModel {
  const { config } = parseHfConfig(JsonFields.parse("config.json", setup.configJson), null);
  const view = (slot: TensorSlot): Float32Array => new Float32Array(setup.buffer, slot.offset * 4, slot.shape.reduce((a, b) => a * b, 1));
  const tensors = new Map(setup.tensors.map((slot) => [slot.name, { dtype: "f32" as const, shape: slot.shape, data: view(slot) }]));
  const model = TrainableModel.fromSource(config, new MemoryTensorSource("(shared)", tensors), { recompute: setup.recompute });
  const lora = setup.lora ? attachLora(model, setup.lora.spec, new Map(setup.lora.tensors.map((slot) => [slot.name, view(slot)]))) : null;
  return { model, lora };
}
