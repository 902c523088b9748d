import type { WebGpuBackend } from "./webgpu-backend.js";
export function runWebGpuExtras(_make: () => WebGpuBackend): void {}
