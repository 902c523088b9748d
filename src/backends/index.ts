/** `gemma4/backends`: the op interface and the backends that implement it. */
export type { Activation, AttentionParams, Backend, FloatWeightDtype, GreedySample, HostWeight, KvStore, MoeParams, NormForm, QuantDtype, Tensor, Weight, WeightDtype } from "./ops.js";
export { QUANT_DTYPES, isQuantDtype } from "./weight-dtype.js";
export { ReferenceBackend } from "./reference/reference-backend.js";
export { BACKEND_NAMES, DEFAULT_BACKEND, createBackend, createDefaultBackend, type BackendName, type BackendOptions } from "./create-backend.js";
export { CpuBackend, type CpuBackendOptions, type KvDtype } from "./cpu/cpu-backend.js";
export { WebGpuBackend, type WebGpuBackendOptions } from "./webgpu/webgpu-backend.js";
export { describeAdapter, type AdapterDescription } from "./webgpu/acquire-gpu.js";
export type { HostQuantizedWeight } from "./webgpu/weight-storage.js";
