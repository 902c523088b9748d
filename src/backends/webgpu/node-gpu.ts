/**
 * The Node-only part of device setup: Dawn through the `webgpu` npm package. Imported dynamically by
 * acquire-gpu.ts so browsers (and Node users of other backends) never load it.
 */
/// <reference types="@webgpu/types" />
import { DeviceError } from "../../errors.js";

interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

let cached: GPU | null = null;

export async function nodeGpu(): Promise<GPU> {
  if (cached) return cached;
  // Mesa's drivers want a runtime dir; without one they print warnings on every start.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = "/tmp";
  let dawn: DawnModule;
  try {
    const name = "webgpu"; // a variable keeps tsc from resolving the optional package at build time
    dawn = (await import(name)) as DawnModule;
  } catch (e) {
    throw new DeviceError(`the WebGPU backend needs the npm package "webgpu" (npm install webgpu@0.6.2): ${String(e)}`, { cause: e });
  }
  // Dawn's classes (GPUBufferUsage, GPUMapMode, ...) are globals in browsers; make them so here.
  for (const [key, value] of Object.entries(dawn.globals)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  // Dawn's own options, e.g. GEMMA4_DAWN_FLAGS="disable-dawn-features=timestamp_quantization" for profiling.
  cached = dawn.create((process.env.GEMMA4_DAWN_FLAGS ?? "").split(/\s+/).filter(Boolean));
  return cached;
}
