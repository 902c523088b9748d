/**
 * Which weights LoRA adapts and what its tensors are called. Targets follow PEFT's `target_modules` list
 * semantics: a module matches when its name equals a target or ends with "." + target ("q_proj" adapts
 * every layer's self_attn.q_proj). Tensor names are PEFT's saved names,
 * `base_model.model.<module>.lora_A.weight` / `.lora_B.weight`, with <module> the checkpoint name minus
 * ".weight" (e.g. model.layers.0.self_attn.q_proj).
 */
import { BadRequestError } from "../../errors.js";

export interface LoraSpec {
  readonly rank: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly targetModules: readonly string[];
  /** rsLoRA: scaling α/√r instead of α/r. */
  readonly useRsLora: boolean;
}

/** PEFT's default targets for Gemma: every attention and MLP projection. */
export const DEFAULT_LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;

export function loraScaling(spec: LoraSpec): number {
  return spec.useRsLora ? spec.alpha / Math.sqrt(spec.rank) : spec.alpha / spec.rank;
}

export function checkLoraSpec(spec: LoraSpec): void {
  if (!Number.isInteger(spec.rank) || spec.rank < 1) throw new BadRequestError(`LoRA rank must be a positive integer, not ${spec.rank}`, "rank");
  if (!(spec.alpha > 0)) throw new BadRequestError(`LoRA alpha must be positive, not ${spec.alpha}`, "alpha");
  if (!(spec.dropout >= 0 && spec.dropout < 1)) throw new BadRequestError(`LoRA dropout must be in [0, 1), not ${spec.dropout}`, "dropout");
  if (spec.targetModules.length === 0) throw new BadRequestError("LoRA needs at least one target module", "targetModules");
}

/** Linear weights (2-D, used by matmul) that LoRA may adapt, by checkpoint name. */
export function isLinearWeightName(name: string): boolean {
  return /(_proj|per_layer_input_gate|per_layer_projection|router\.proj)\.weight$/.test(name) && !name.startsWith("lm_head");
}

export function moduleName(weightName: string): string {
  return weightName.replace(/\.weight$/, "");
}

export function matchesTarget(weightName: string, targets: readonly string[]): boolean {
  const module = moduleName(weightName);
  return targets.some((t) => module === t || module.endsWith(`.${t}`));
}

export function peftTensorName(weightName: string, which: "A" | "B"): string {
  return `base_model.model.${moduleName(weightName)}.lora_${which}.weight`;
}
