/** Float32 values of a whole weight, decoded by the kernels (used for small weights: norms, scalars). */
import type { CpuWeight } from "./cpu-tensors.js";
import { OP, type KernelModule } from "./kernel-module.js";

export function decodeWeightValues(kernels: KernelModule, w: CpuWeight): Float32Array {
  const n = w.rows * w.cols;
  const out = kernels.alloc(n * 4);
  const a = kernels.args;
  a[0] = w.kernelType; a[1] = w.block.address; a[2] = w.cols; a[3] = 0; a[4] = w.rows; a[5] = out.address; a[6] = 1;
  kernels.call(OP.DEQUANT_ROWS);
  const values = kernels.f32(out, n).slice();
  kernels.free(out);
  return values;
}
