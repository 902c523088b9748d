/**
 * Rotate-half RoPE (spec §1.4) on x [T, heads·d]. The cos/sin of each (position, frequency) are computed on
 * the host in double precision from the float32 angle, exactly as the reference does, and uploaded as a
 * table: GPU sin/cos lose accuracy on large angles (positions in the thousands), and the table is tiny
 * for decode and shared by every layer of a forward with the same frequencies.
 */
import { FLAT_WORKGROUP, type ArenaSlice, type GpuContext } from "./gpu-context.js";
import type { GpuTensor } from "./gpu-tensors.js";
import { bindTensor, newTensor } from "./tensor-alloc.js";
import { fillRopeAngles } from "../rope-angles.js";

/** WGSL: `rotated(a, b, t, T, half, j)`, the pair (x[j], x[j + half]) of row t of T rotated by frequency j's
 *  angle, from the table bound as `CosSin` (which the shader declares). */
export const ROTATE_WGSL = `
fn rotated(a: f32, b: f32, t: u32, T: u32, half: u32, j: u32) -> vec2<f32> {
  let c = CosSin[t * half + j];
  let s = CosSin[(T + t) * half + j];
  return vec2<f32>(a * c - b * s, b * c + a * s);
}`;

const ROPE_WGSL = `
struct Params { T: u32, heads: u32, half: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read> CosSin: array<f32>;  // [T, half] cos, then [T, half] sin
${ROTATE_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = ${FLAT_WORKGROUP} * 256u + lid.x;
  if (i >= P.T * P.heads * P.half) { return; }
  let j = i % P.half;
  let t = i / (P.heads * P.half);
  let h = (i / P.half) % P.heads;
  let base = (t * P.heads + h) * 2u * P.half;
  let r = rotated(X[base + j], X[base + j + P.half], t, P.T, P.half, j);
  Y[base + j] = r.x;
  Y[base + j + P.half] = r.y;
}`;

interface TableEntry {
  readonly positions: Int32Array;
  readonly generation: number;
  readonly slice: ArenaSlice;
}

/** cos/sin tables of the current submit, by frequency array (each layer kind has its own). */
export class RopeTables {
  private readonly entries = new WeakMap<Float32Array, TableEntry>();

  get(ctx: GpuContext, positions: Int32Array, invFreq: Float32Array): ArenaSlice {
    const cached = this.entries.get(invFreq);
    if (cached && cached.generation === ctx.generation && sameValues(cached.positions, positions)) return cached.slice;
    const T = positions.length;
    const half = invFreq.length;
    const table = new Float32Array(2 * T * half); // cos [T, half], then sin [T, half]
    fillRopeAngles(positions, invFreq, table.subarray(0, T * half), table.subarray(T * half));
    const slice = ctx.upload(table);
    this.entries.set(invFreq, { positions: Int32Array.from(positions), generation: ctx.generation, slice });
    return slice;
  }
}

function sameValues(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws unless x [T, heads·headDim] fits T positions and headDim/2 frequencies (`op` names the caller). */
export function checkRope(op: string, x: GpuTensor, positions: Int32Array, invFreq: Float32Array, headDim: number): void {
  if (invFreq.length !== headDim / 2) throw new Error(`${op}: ${invFreq.length} frequencies for head dim ${headDim}`);
  if (positions.length !== x.rows || x.cols % headDim !== 0) throw new Error(`${op}: x [${x.shape}] vs ${positions.length} positions, head dim ${headDim}`);
}

export function rope(ctx: GpuContext, tables: RopeTables, x: GpuTensor, positions: Int32Array, invFreq: Float32Array, headDim: number): GpuTensor {
  checkRope("rope", x, positions, invFreq, headDim);
  const half = headDim / 2;
  const heads = x.cols / headDim;
  const table = tables.get(ctx, positions, invFreq);
  const y = newTensor(ctx, x.shape);
  const params = ctx.params([x.rows, heads, half]);
  ctx.dispatch(ctx.pipeline("rope", () => ROPE_WGSL), [params, bindTensor(x), bindTensor(y), table], Math.ceil((x.rows * heads * half) / 256));
  return y;
}
