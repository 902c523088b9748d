/**
 * Backends by name. "cpu" is the fast CPU backend (native kernels, else WebAssembly); "reference" is plain
 * TypeScript (the executable spec). The default is "cpu" wherever its kernels load. The WebGPU backend is
 * imported lazily, so its `webgpu` package (Dawn, in Node) is only loaded when it is asked for.
 */
import { UnsupportedError } from "../errors.js";
import { CpuBackend, type CpuBackendOptions } from "./cpu/cpu-backend.js";
import { loadCpuKernels } from "./cpu/load-cpu-kernels.js";
import type { Backend } from "./ops.js";
import { ReferenceBackend } from "./reference/reference-backend.js";

export type BackendName = "cpu" | "reference" | "webgpu";

export const BACKEND_NAMES: readonly BackendName[] = ["cpu", "reference", "webgpu"];

export const DEFAULT_BACKEND: BackendName = "cpu";

export type BackendOptions = CpuBackendOptions;

/** The default backend: "cpu" where its kernels load (native addon, else WebAssembly), else "reference". */
export async function createDefaultBackend(options: BackendOptions = {}): Promise<Backend> {
  const kernels = await loadCpuKernels();
  return kernels ? new CpuBackend(kernels, options) : new ReferenceBackend();
}

export async function createBackend(name: string, options: BackendOptions = {}): Promise<Backend> {
  switch (name) {
    case "cpu": {
      const kernels = await loadCpuKernels();
      if (!kernels) throw new UnsupportedError("the cpu backend's kernels are not available (no native build and no WebAssembly build); use --backend reference");
      return new CpuBackend(kernels, options);
    }
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
