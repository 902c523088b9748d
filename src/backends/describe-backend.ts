/** One line about a backend as it runs here: which kernels, threads, KV precision, or which GPU adapter. */
import type { Backend } from "./ops.js";

export async function describeBackend(backend: Backend): Promise<string> {
  if (backend.name === "webgpu") {
    const { describeAdapter } = await import("./webgpu/acquire-gpu.js");
    const a = await describeAdapter();
    const name = [a.vendor, a.architecture, a.device, a.description].filter((s) => s).join(" / ") || "(adapter gives no name)";
    return `webgpu: ${name} (${a.runtime}; max binding ${a.maxStorageBufferBindingSize} bytes; features: ${a.features.join(", ") || "none"})`;
  }
  const details = backend as Backend & { variant?: string; threads?: number; kvDtype?: string };
  const parts = [
    details.variant !== undefined ? `${details.variant} kernels` : null,
    details.threads !== undefined ? `${details.threads} thread${details.threads === 1 ? "" : "s"}` : null,
    `KV cache ${details.kvDtype ?? "f32"}`,
  ].filter((p) => p !== null);
  return `${backend.name}: ${parts.join(", ")}`;
}

/** Bytes per KV-cache value the backend stores. */
export function kvBytesPerValue(backend: Backend): number {
  return (backend as Backend & { kvDtype?: string }).kvDtype === "f16" ? 2 : 4;
}
