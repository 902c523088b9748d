/** The bundled default model, used when a command is given no MODEL. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../package-root.js";
import { BadPathError } from "../errors.js";

export const DEFAULT_MODEL_DIR = join(PACKAGE_ROOT, "models", "default");

export function defaultModelDir(): string {
  if (!existsSync(join(DEFAULT_MODEL_DIR, "model.safetensors"))) {
    throw new BadPathError(DEFAULT_MODEL_DIR, "the bundled default model has no weights in this checkout; give a MODEL (a folder or org/name)");
  }
  return DEFAULT_MODEL_DIR;
}
