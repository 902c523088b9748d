/** Every kernel build that loads in this process (native addon, WebAssembly), for tests and benchmarks. */
import type { KernelModule } from "./kernel-module.js";
import { loadNativeKernels } from "./native-kernels.js";
import { loadWasmKernels } from "./wasm-kernels.js";

export interface LabelledKernels {
  readonly label: "native" | "wasm";
  readonly module: KernelModule;
}

export function availableKernelModules(): LabelledKernels[] {
  const out: LabelledKernels[] = [];
  const native = loadNativeKernels();
  if (native) out.push({ label: "native", module: native });
  const wasm = loadWasmKernels();
  if (wasm) out.push({ label: "wasm", module: wasm });
  return out;
}
