/** `gemma4/formats`: checkpoint and config file formats. */
export { SafetensorsFile, writeSafetensors, numElements, type StoredTensor, type TensorInfo, type TensorToWrite } from "./safetensors.js";
export { SafetensorsCheckpoint, SAFETENSORS_INDEX, SAFETENSORS_SINGLE } from "./safetensors-checkpoint.js";
export type { TensorSource } from "./tensor-source.js";
export { readHfConfig, parseHfConfig, type HfConfigResult } from "./hf-config.js";
export { bf16ToF32, f32ToBf16, f16ToF32, f32ToF16, toFloat32, fromFloat32, type Dtype } from "./dtype.js";
export * as hub from "./hub/index.js";
