/** The best kernel build available: the native addon, else the WebAssembly module, else null. */
import type { KernelModule } from "./kernel-module.js";
import { loadNativeKernels } from "./native-kernels.js";

export async function loadCpuKernels(): Promise<KernelModule | null> {
  return loadNativeKernels();
}
