/**
 * The best kernel build available: the native addon, else the WebAssembly module, else null.
 * GEMMA4_CPU_KERNELS=wasm (or native) asks for one build only: for comparing them, and for trying the
 * fallback on a machine where the native one exists.
 */
import { UnsupportedError } from "../../errors.js";
import type { KernelModule } from "./kernel-module.js";
import { loadNativeKernels } from "./native-kernels.js";
import { loadWasmKernels } from "./wasm-kernels.js";

export type KernelBuild = "native" | "wasm";

export async function loadCpuKernels(build: KernelBuild | undefined = kernelBuildFromEnvironment()): Promise<KernelModule | null> {
  if (build === "native") return loadNativeKernels();
  if (build === "wasm") return loadWasmKernels();
  return loadNativeKernels() ?? loadWasmKernels();
}

function kernelBuildFromEnvironment(): KernelBuild | undefined {
  const value = typeof process === "undefined" ? undefined : process.env.GEMMA4_CPU_KERNELS;
  if (value === undefined || value === "" || value === "auto") return undefined;
  if (value === "native" || value === "wasm") return value;
  throw new UnsupportedError(`GEMMA4_CPU_KERNELS=${JSON.stringify(value)}: expected native, wasm or auto`);
}
