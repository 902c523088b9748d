/**
 * Backends by name. The reference backend is plain TypeScript (the executable spec); fast backends register
 * here as they land.
 */
import { UnsupportedError } from "../errors.js";
import type { Backend } from "./ops.js";
import { ReferenceBackend } from "./reference/reference-backend.js";

export type BackendName = "reference";

export const BACKEND_NAMES: readonly BackendName[] = ["reference"];

export const DEFAULT_BACKEND: BackendName = "reference";

export async function createBackend(name: string): Promise<Backend> {
  switch (name) {
    case "reference":
      return new ReferenceBackend();
    default:
      throw new UnsupportedError(`unknown backend ${JSON.stringify(name)} (available: ${BACKEND_NAMES.join(", ")})`);
  }
}
