/**
 * Weights on the device: host data → row chunks that each fit one storage binding, and the WGSL that
 * reads one element (`wAt`) or one aligned group of elements dotted with x (`wDotGroup`) in each dtype.
 * 16-bit floats are unpacked from u32 words (bf16 by shifting, f16 with the core `unpack2x16float`), so
 * no `shader-f16` feature is needed (the H100's Dawn adapter lacks it).
 */
/// <reference types="@webgpu/types" />
import { UnsupportedError } from "../../errors.js";
import type { HostWeight } from "../ops.js";
import { BLOCK_BYTES, BLOCK_VALUES, repackBlocks, type BlockFormat } from "./ggml-blocks.js";
import type { GpuContext } from "./gpu-context.js";
import { GpuWeight, isBlockDtype, type GpuWeightDtype, type WeightChunk } from "./gpu-tensors.js";

/** Host data of a quantized weight: raw ggml blocks, rows of `shape`'s last axis. */
export interface HostQuantizedWeight {
  readonly dtype: BlockFormat;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** Elements per `wDotGroup` call (16 bytes of weights, or one 32-value block). */
export const GROUP_WIDTH: Readonly<Record<GpuWeightDtype, number>> = { f32: 4, bf16: 8, f16: 8, q8_0: 32, q4_0: 32 };

function isGpuWeightDtype(dtype: string): dtype is GpuWeightDtype {
  return dtype in GROUP_WIDTH;
}

function bytesPerRow(dtype: GpuWeightDtype, cols: number): number {
  switch (dtype) {
    case "f32": return cols * 4;
    case "bf16": case "f16": return cols * 2;
    case "q8_0": return cols + (cols / BLOCK_VALUES) * 2;
    case "q4_0": return cols / 2 + (cols / BLOCK_VALUES) * 2;
    default: { const never: never = dtype; throw new Error(String(never)); }
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Rows per chunk: whole row groups (one MoE expert), a multiple of 8 rows so chunks start on aligned words. */
export function rowsPerChunk(dtype: GpuWeightDtype, shape: readonly number[], maxBindingBytes: number): number {
  const cols = shape[shape.length - 1]!;
  const rows = shape.reduce((a, b) => a * b, 1) / cols;
  const group = shape.length === 3 ? shape[1]! : 1;
  const unit = (group * 8) / gcd(group, 8);
  const perRow = bytesPerRow(dtype, cols);
  if (perRow * rows <= maxBindingBytes) return rows;
  const units = Math.floor(maxBindingBytes / (perRow * unit));
  if (units < 1) throw new UnsupportedError(`a weight [${shape}] has rows too large for one storage binding of ${maxBindingBytes} bytes`);
  return units * unit;
}

export function uploadWeight(ctx: GpuContext, weight: HostWeight | HostQuantizedWeight, maxBindingBytes = ctx.weightChunkBytes): GpuWeight {
  const { shape } = weight;
  const dtype = weight.dtype;
  if (!isGpuWeightDtype(dtype)) throw new UnsupportedError(`the webgpu backend has no kernels for ${dtype} weights`);
  const cols = shape[shape.length - 1] ?? 1;
  const rows = shape.reduce((a, b) => a * b, 1) / cols;
  const quantized = isBlockDtype(dtype);
  if (quantized && cols % BLOCK_VALUES !== 0) throw new UnsupportedError(`${dtype} weight [${shape}]: rows must be whole blocks of 32 values`);
  if (quantized && (weight.data as Uint8Array).length !== rows * (cols / BLOCK_VALUES) * BLOCK_BYTES[dtype]) {
    throw new Error(`${dtype} weight [${shape}]: ${(weight.data as Uint8Array).length} bytes of blocks do not fit the shape`);
  }
  const perChunk = rowsPerChunk(dtype, shape.length === 0 ? [1] : shape, maxBindingBytes);
  const chunks: WeightChunk[] = [];
  for (let rowStart = 0; rowStart < rows; rowStart += perChunk) {
    const n = Math.min(perChunk, rows - rowStart);
    const what = `a weight [${shape}] (${dtype})`;
    if (quantized) {
      const blocksPerRow = cols / BLOCK_VALUES;
      const { quants, scales } = repackBlocks(dtype, weight.data as Uint8Array, rowStart * blocksPerRow, n * blocksPerRow);
      chunks.push({ rowStart, rows: n, data: fill(ctx, quants, what), dataBytes: quants.byteLength, scales: fill(ctx, scales, what), scalesBytes: scales.byteLength });
    } else {
      const data = weight.data as Float32Array | Uint16Array;
      const part = data.subarray(rowStart * cols, (rowStart + n) * cols);
      chunks.push({ rowStart, rows: n, data: fill(ctx, part, what), dataBytes: part.byteLength, scales: null, scalesBytes: 0 });
    }
  }
  return new GpuWeight(shape, dtype, chunks);
}

function fill(ctx: GpuContext, data: ArrayBufferView, what: string): GPUBuffer {
  const buffer = ctx.createBuffer(data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, what, true);
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** Bindings of one chunk: [data] or [data, scales], starting at `first`. */
export function chunkBindings(chunk: WeightChunk): { buffer: GPUBuffer; size: number }[] {
  const data = { buffer: chunk.data, size: Math.max(16, Math.ceil(chunk.dataBytes / 16) * 16) };
  return chunk.scales ? [data, { buffer: chunk.scales, size: Math.max(16, Math.ceil(chunk.scalesBytes / 16) * 16) }] : [data];
}

/** Names weightWgsl declares; a `suffix` renames them all, so several weights can share a shader. */
const READER_NAMES = ["W4", "W", "WS", "blockScale", "wDotGroup", "wDotRegs", "wAt", "i8x4", "u4lo", "u4hi"];

/**
 * WGSL declarations for reading a weight chunk bound at @binding(w) (and its scales at w+1):
 * `wAt(e)` is element e of the chunk (row-major) as f32; with `vector`, `wDotGroup(e0, xi)` dots the
 * GROUP_WIDTH elements from e0 (a multiple of the width) with X4[xi..], four x values per vec4, and
 * `wDotRegs(e0, xv)` the same with those x values passed in. With a `suffix` every declared name ends in
 * it (`wAtB`, `wDotRegsB`, …), for a second or third weight in the same shader.
 */
export function weightWgsl(dtype: GpuWeightDtype, binding: number, vector: boolean, suffix = ""): string {
  const wgsl = weightReaderWgsl(dtype, binding, vector);
  return suffix === "" ? wgsl : wgsl.replace(new RegExp(`\\b(${READER_NAMES.join("|")})\\b`, "g"), `$1${suffix}`);
}

function weightReaderWgsl(dtype: GpuWeightDtype, binding: number, vector: boolean): string {
  const decl = vector
    ? `@group(0) @binding(${binding}) var<storage, read> W4: array<vec4<u32>>;`
    : `@group(0) @binding(${binding}) var<storage, read> W: array<u32>;`;
  const scales = isBlockDtype(dtype)
    ? `@group(0) @binding(${binding + 1}) var<storage, read> WS: array<u32>;
fn blockScale(b: u32) -> f32 { return unpack2x16float(WS[b >> 1u])[b & 1u]; }`
    : "";
  if (!vector) {
    const body: Record<GpuWeightDtype, string> = {
      f32: "return bitcast<f32>(W[e]);",
      bf16: "let w = W[e >> 1u]; return bitcast<f32>(select(w << 16u, w & 0xffff0000u, (e & 1u) == 1u));",
      f16: "return unpack2x16float(W[e >> 1u])[e & 1u];",
      q8_0: "let q = bitcast<i32>(W[e >> 2u] << (24u - 8u * (e & 3u))) >> 24u; return f32(q) * blockScale(e >> 5u);",
      q4_0: "let n = (W[e >> 3u] >> (4u * (e & 7u))) & 15u; return (f32(n) - 8.0) * blockScale(e >> 5u);",
    };
    return `${decl}\n${scales}\nfn wAt(e: u32) -> f32 { ${body[dtype]} }\n`;
  }
  const body: Record<GpuWeightDtype, string> = {
    f32: "return dot(bitcast<vec4<f32>>(W4[e0 >> 2u]), X4[xi]);",
    bf16: `let v = W4[e0 >> 3u]; let a = X4[xi]; let b = X4[xi + 1u];
  let lo = bitcast<vec4<f32>>(v << vec4<u32>(16u)); let hi = bitcast<vec4<f32>>(v & vec4<u32>(0xffff0000u));
  return dot(lo, vec4<f32>(a.x, a.z, b.x, b.z)) + dot(hi, vec4<f32>(a.y, a.w, b.y, b.w));`,
    f16: `let v = W4[e0 >> 3u];
  return dot(vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)), X4[xi]) + dot(vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w)), X4[xi + 1u]);`,
    q8_0: `let v0 = W4[e0 >> 4u]; let v1 = W4[(e0 >> 4u) + 1u];
  var s = dot(i8x4(v0.x), X4[xi]) + dot(i8x4(v0.y), X4[xi + 1u]) + dot(i8x4(v0.z), X4[xi + 2u]) + dot(i8x4(v0.w), X4[xi + 3u]);
  s += dot(i8x4(v1.x), X4[xi + 4u]) + dot(i8x4(v1.y), X4[xi + 5u]) + dot(i8x4(v1.z), X4[xi + 6u]) + dot(i8x4(v1.w), X4[xi + 7u]);
  return s * blockScale(e0 >> 5u);`,
    q4_0: `let v = W4[e0 >> 5u];
  var s = dot(u4lo(v.x), X4[xi]) + dot(u4hi(v.x), X4[xi + 1u]) + dot(u4lo(v.y), X4[xi + 2u]) + dot(u4hi(v.y), X4[xi + 3u]);
  s += dot(u4lo(v.z), X4[xi + 4u]) + dot(u4hi(v.z), X4[xi + 5u]) + dot(u4lo(v.w), X4[xi + 6u]) + dot(u4hi(v.w), X4[xi + 7u]);
  return s * blockScale(e0 >> 5u);`,
  };
  const helpers = dtype === "q8_0"
    ? "fn i8x4(w: u32) -> vec4<f32> { return vec4<f32>(bitcast<vec4<i32>>(vec4<u32>(w) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u)); }"
    : dtype === "q4_0"
      ? `fn u4lo(w: u32) -> vec4<f32> { return vec4<f32>((vec4<u32>(w) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u)) - vec4<f32>(8.0); }
fn u4hi(w: u32) -> vec4<f32> { return vec4<f32>((vec4<u32>(w) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(15u)) - vec4<f32>(8.0); }`
      : "";
  // The same dot with the group's x already in registers (xv[k] for X4[xi + k]): a kernel that dots one
  // x group with several rows loads it once.
  const regs = body[dtype].replace(/X4\[xi(?: \+ (\d+)u)?\]/g, (_m, k: string | undefined) => `xv[${k ?? 0}]`);
  const n = GROUP_WIDTH[dtype] / 4;
  return `${decl}\n${scales}\n${helpers}\nfn wDotGroup(e0: u32, xi: u32) -> f32 {\n  ${body[dtype]}\n}\n` +
    `fn wDotRegs(e0: u32, xv: array<vec4<f32>, ${n}>) -> f32 {\n  ${regs}\n}\n`;
}
