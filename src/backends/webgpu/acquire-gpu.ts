/**
 * Finds a WebGPU implementation and opens a device on it: `navigator.gpu` in browsers, the `webgpu`
 * package (Dawn) in Node, loaded lazily so the package is only needed when this backend is used.
 * Asks for the adapter's largest buffer limits (the defaults cap bindings at 128 MiB).
 */
/// <reference types="@webgpu/types" />
import { DeviceError } from "../../errors.js";

export interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly features: readonly string[];
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupStorageSize: number;
  /** "browser" or "dawn-node". */
  readonly runtime: string;
}

export interface GpuHandle {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly description: AdapterDescription;
}

interface NavigatorWithGpu {
  readonly gpu?: GPU;
}

async function findGpu(): Promise<{ gpu: GPU; runtime: string }> {
  const nav = (globalThis as { navigator?: NavigatorWithGpu }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, runtime: "browser" };
  const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
  if (!isNode) throw new DeviceError("this browser exposes no WebGPU (navigator.gpu is missing)");
  const { nodeGpu } = await import("./node-gpu.js");
  return { gpu: await nodeGpu(), runtime: "dawn-node" };
}

export async function requestAdapter(): Promise<{ adapter: GPUAdapter; runtime: string }> {
  const { gpu, runtime } = await findGpu();
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    throw new DeviceError(`no WebGPU adapter (${runtime}); on Linux without a GPU install Mesa's Vulkan driver from bookworm-backports (scripts/install-mesa-vulkan.sh)`);
  }
  return { adapter, runtime };
}

export function describe(adapter: GPUAdapter, runtime: string): AdapterDescription {
  const info = adapter.info;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    features: [...adapter.features].map(String).sort(),
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
    runtime,
  };
}

/** @param features optional features to enable where the adapter has them (e.g. "timestamp-query"). */
export async function acquireGpu(features: readonly GPUFeatureName[] = []): Promise<GpuHandle> {
  const { adapter, runtime } = await requestAdapter();
  const limits = adapter.limits;
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: features.filter((f) => adapter.features.has(f)),
      requiredLimits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      },
    });
  } catch (e) {
    throw new DeviceError(`the WebGPU adapter refused to open a device: ${String(e)}`, { cause: e });
  }
  return { adapter, device, description: describe(adapter, runtime) };
}

/** One line naming the adapter, for `gemma4 info --backend webgpu`. */
export async function describeAdapter(): Promise<AdapterDescription> {
  const { adapter, runtime } = await requestAdapter();
  return describe(adapter, runtime);
}
