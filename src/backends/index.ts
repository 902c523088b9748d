/** `gemma4/backends`: the op interface and the backends that implement it. */
export type { Activation, AttentionParams, Backend, GreedySample, HostWeight, KvStore, MoeParams, NormForm, Tensor, Weight, WeightDtype } from "./ops.js";
export { ReferenceBackend } from "./reference/reference-backend.js";
export { BACKEND_NAMES, DEFAULT_BACKEND, createBackend, type BackendName } from "./create-backend.js";
export { WebGpuBackend, type WebGpuBackendOptions } from "./webgpu/webgpu-backend.js";
export { describeAdapter, type AdapterDescription } from "./webgpu/acquire-gpu.js";
export type { HostQuantizedWeight } from "./webgpu/weight-storage.js";
