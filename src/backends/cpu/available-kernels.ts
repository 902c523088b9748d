/** Every kernel build that loads in this process (native addon, WebAssembly), for tests and benchmarks. */
import type { KernelModule } from "./kernel-module.js";
import { loadNativeKernels } from "./native-kernels.js";

export interface LabelledKernels {
  readonly label: "native" | "wasm";
  readonly module: KernelModule;
}

export function availableKernelModules(): LabelledKernels[] {
  const out: LabelledKernels[] = [];
  const native = loadNativeKernels();
  if (native) out.push({ label: "native", module: native });
  return out;
}
