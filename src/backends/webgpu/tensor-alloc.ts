/// <reference types="@webgpu/types" />
/** Activation tensors: allocation from the context's pool, registration in the open `tidy` scope, bindings. */
import type { GpuContext } from "./gpu-context.js";
import { GpuTensor } from "./gpu-tensors.js";

export function newTensor(ctx: GpuContext, shape: readonly number[]): GpuTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const t = new GpuTensor([...shape], ctx.acquire(size * 4), size);
  ctx.scopes[ctx.scopes.length - 1]?.add(t);
  return t;
}

export function releaseTensor(ctx: GpuContext, t: GpuTensor): void {
  if (t.released) return;
  t.released = true;
  ctx.recycle(t.buffer);
}

/** The tensor's bytes as a binding (rounded up to 16 so vec4 views see whole elements; pool buffers allow it). */
export function bindTensor(t: GpuTensor): { buffer: GPUBuffer; size: number } {
  return { buffer: t.buffer, size: Math.max(16, Math.ceil(t.bytes / 16) * 16) };
}
