/**
 * Backends by name. The reference backend is plain TypeScript (the executable spec); fast backends register
 * here as they land. The WebGPU backend is imported lazily, so its `webgpu` package (Dawn, in Node) is only
 * loaded when it is asked for.
 */
import { UnsupportedError } from "../errors.js";
import type { Backend } from "./ops.js";
import { ReferenceBackend } from "./reference/reference-backend.js";

export type BackendName = "reference" | "webgpu";

export const BACKEND_NAMES: readonly BackendName[] = ["reference", "webgpu"];

export const DEFAULT_BACKEND: BackendName = "reference";

export async function createBackend(name: string): Promise<Backend> {
  switch (name) {
    case "reference":
      return new ReferenceBackend();
    case "webgpu": {
      const { WebGpuBackend } = await import("./webgpu/webgpu-backend.js");
      return WebGpuBackend.create();
    }
    default:
      throw new UnsupportedError(`unknown backend ${JSON.stringify(name)} (available: ${BACKEND_NAMES.join(", ")})`);
  }
}
