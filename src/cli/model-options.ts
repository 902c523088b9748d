/** Flags shared by commands that load a model: the model reference, the backend, context limits, a LoRA adapter. */
import { loadModel } from "../api/load-model.js";
import { resolveModelReference } from "../formats/hub/resolve-model-reference.js";
import type { Model } from "../api/model.js";
import { numberFlag } from "./command.js";

export const MODEL_FLAGS = {
  model: { type: "string" },
  backend: { type: "string" },
  ctx: { type: "string" },
  lora: { type: "string" },
} as const;

export interface ModelFlagValues {
  readonly backend?: string | undefined;
  readonly ctx?: string | undefined;
  /** A PEFT LoRA adapter folder to apply (merged at load). */
  readonly lora?: string | undefined;
}

/** Loads the model a command was pointed at: a folder, `org/name[@rev]` or `hf:org/name` (pulled if not cached). */
export async function loadCliModel(reference: string, values: ModelFlagValues): Promise<Model> {
  const maxContext = numberFlag("ctx", values.ctx, { min: 1, integer: true });
  const dir = await resolveModelReference(reference, { download: true });
  return loadModel(dir, {
    ...(values.backend !== undefined ? { backend: values.backend } : {}),
    ...(maxContext !== undefined ? { maxContext } : {}),
    ...(values.lora !== undefined ? { lora: values.lora } : {}),
  });
}
