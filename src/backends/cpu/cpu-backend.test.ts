import { runBackendConformance } from "../conformance.js";
import { CpuBackend } from "./cpu-backend.js";
import { loadNativeKernels } from "./native-kernels.js";

const native = loadNativeKernels();
if (native) {
  for (const v of native.variants.filter((v) => v.runsHere)) {
    runBackendConformance(`cpu native ${v.name} f32 KV`, () => new CpuBackend(native, { kvDtype: "f32", variant: v.name }), { opTolerance: 1e-5, fixtureTolerance: 1e-4 });
  }
  runBackendConformance(`cpu native f16 KV`, () => new CpuBackend(native, { kvDtype: "f16" }), { opTolerance: 1e-3, fixtureTolerance: 0.1 });
}
