/**
 * Filling the KV store on the device (spec §1.5): `writeKv` copies rows of k and v into their slots and
 * tags each slot with its absolute position; `normRopeWriteKv` first normalises and rotates the keys and
 * normalises the values (spec §1.1, §1.4), in the same dispatch, which at decode replaces four kernels
 * (k norm + RoPE, v norm, the write) with one. The store grows by doubling up to its capacity.
 */
import { UnsupportedError } from "../../errors.js";
import type { NormForm } from "../ops.js";
import { FLAT_WORKGROUP, f32Bits, formatBytes, type ArenaSlice, type Binding, type GpuContext } from "./gpu-context.js";
import type { GpuKvStore, GpuTensor, GpuWeight } from "./gpu-tensors.js";
import { reduceSumWgsl } from "./reduce-wgsl.js";
import { ROTATE_WGSL, checkRope, type RopeTables } from "./rope.js";
import { bindTensor, releaseTensor } from "./tensor-alloc.js";
import { normRope, rmsNorm } from "./norms.js";
import { chunkBindings, weightWgsl } from "./weight-storage.js";

/** Grows the store's device buffers to hold `slots` slots (doubling), keeping what they hold. */
export function ensureSlots(ctx: GpuContext, store: GpuKvStore, slots: number): void {
  if (slots > store.capacity) throw new Error(`KV slot ${slots - 1} is beyond the store's capacity ${store.capacity}`);
  if (slots <= store.allocated) return;
  const grown = Math.min(store.capacity, Math.max(slots, 2 * store.allocated, 16));
  const rowBytes = store.rowSize * 4;
  if (grown * rowBytes > ctx.maxBindingBytes) {
    throw new UnsupportedError(`a KV store of ${grown} slots × ${rowBytes} bytes exceeds this GPU's largest storage binding (${formatBytes(ctx.maxBindingBytes)}); use a shorter context`);
  }
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const keys = ctx.createBuffer(grown * rowBytes, usage, "KV cache keys");
  const values = ctx.createBuffer(grown * rowBytes, usage, "KV cache values");
  const positions = ctx.createBuffer(grown * 4, usage, "KV cache positions");
  const empty = ctx.upload(new Int32Array(grown).fill(-1));
  ctx.copy(empty.buffer, empty.offset, positions, 0, grown * 4);
  if (store.keys && store.values && store.positions) {
    ctx.copy(store.keys, 0, keys, 0, store.allocated * rowBytes);
    ctx.copy(store.values, 0, values, 0, store.allocated * rowBytes);
    ctx.copy(store.positions, 0, positions, 0, store.allocated * 4);
    for (const b of [store.keys, store.values, store.positions]) ctx.destroyLater(b);
  }
  Object.assign(store, { keys, values, positions, allocated: grown });
}

/** Checks k and v [T, row] against the store and `slots`/`positions` [T], makes room for the slots, and
 *  uploads them: [T] slots, then [T] positions. Then the store's bindings, writable. */
function prepareWrite(ctx: GpuContext, op: string, store: GpuKvStore, k: GpuTensor, v: GpuTensor, slots: Int32Array, positions: Int32Array): { slotPos: ArenaSlice; storeBindings: Binding[] } {
  const row = store.rowSize;
  if (k.cols !== row || v.cols !== row || k.rows !== slots.length || v.rows !== slots.length || positions.length !== slots.length) {
    throw new Error(`${op}: k [${k.shape}], v [${v.shape}] do not fit rows of ${row} at ${slots.length} slots`);
  }
  let maxSlot = -1;
  for (const s of slots) {
    if (s < 0) throw new Error(`${op}: negative slot ${s}`);
    maxSlot = Math.max(maxSlot, s);
  }
  ensureSlots(ctx, store, maxSlot + 1);
  store.used = Math.max(store.used, maxSlot + 1);
  const slotPos = new Int32Array(2 * slots.length);
  slotPos.set(slots);
  slotPos.set(positions, slots.length);
  const bytes = store.allocated * row * 4;
  return {
    slotPos: ctx.upload(slotPos),
    storeBindings: [{ buffer: store.keys!, size: bytes }, { buffer: store.values!, size: bytes }, { buffer: store.positions!, size: store.allocated * 4 }],
  };
}

const WRITE_KV_WGSL = `
struct Params { T: u32, row: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Kin: array<f32>;
@group(0) @binding(2) var<storage, read> Vin: array<f32>;
@group(0) @binding(3) var<storage, read_write> K: array<f32>;
@group(0) @binding(4) var<storage, read_write> V: array<f32>;
@group(0) @binding(5) var<storage, read_write> KPos: array<i32>;
@group(0) @binding(6) var<storage, read> SlotPos: array<i32>;  // [T] slots, then [T] positions
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = ${FLAT_WORKGROUP};
  if (t >= P.T) { return; }
  let slot = u32(SlotPos[t]);
  for (var c = lid.x; c < P.row; c += 256u) {
    K[slot * P.row + c] = Kin[t * P.row + c];
    V[slot * P.row + c] = Vin[t * P.row + c];
  }
  if (lid.x == 0u) { KPos[slot] = SlotPos[P.T + t]; }
}`;

export function writeKv(ctx: GpuContext, store: GpuKvStore, k: GpuTensor, v: GpuTensor, slots: Int32Array, positions: Int32Array): void {
  const { slotPos, storeBindings } = prepareWrite(ctx, "writeKv", store, k, v, slots, positions);
  ctx.dispatch(ctx.pipeline("write-kv", () => WRITE_KV_WGSL), [ctx.params([slots.length, store.rowSize]), bindTensor(k), bindTensor(v), ...storeBindings, slotPos], slots.length);
}

/** Threads per (token, KV head): a head is a few hundred values, a pair of them per thread for RoPE. */
const THREADS = 128;

/** One workgroup per (token, KV head): its key row normed (form, weight) and rotated, its value row normed
 *  without a weight or copied (`vNorm` 0), both written to the token's slot. Norm then rope in the
 *  reference's order of rounding (normalise, round, apply the weight, then rotate). */
function normRopeWriteWgsl(form: NormForm, weight: GpuWeight): string {
  const apply = form === "one-plus" ? "normed * (1.0 + wAt(e))" : form === "scale" ? "normed * wAt(e)" : "normed";
  return `
struct Params { T: u32, heads: u32, D: u32, eps: f32, vNorm: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Kin: array<f32>;
@group(0) @binding(2) var<storage, read> Vin: array<f32>;
${weightWgsl(weight.storedDtype, 3, false)}
@group(0) @binding(4) var<storage, read_write> K: array<f32>;
@group(0) @binding(5) var<storage, read_write> V: array<f32>;
@group(0) @binding(6) var<storage, read_write> KPos: array<i32>;
@group(0) @binding(7) var<storage, read> CosSin: array<f32>;  // [T, D/2] cos, then [T, D/2] sin
@group(0) @binding(8) var<storage, read> SlotPos: array<i32>;  // [T] slots, then [T] positions
${reduceSumWgsl(THREADS)}
fn keyAt(base: u32, e: u32, inv: f32) -> f32 { let normed = Kin[base + e] * inv; return ${apply}; }
${ROTATE_WGSL}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = ${FLAT_WORKGROUP};
  if (g >= P.T * P.heads) { return; }
  let t = g / P.heads;
  let h = g % P.heads;
  let D = P.D;
  let base = g * D;
  let slot = u32(SlotPos[t]);
  let out = slot * P.heads * D + h * D;
  var kk = 0.0;
  var vv = 0.0;
  for (var i = lid.x; i < D; i += ${THREADS}u) {
    let a = Kin[base + i];
    kk += a * a;
    let b = Vin[base + i];
    vv += b * b;
  }
  let invK = 1.0 / sqrt(reduceSum(kk, lid.x) / f32(D) + P.eps);
  let invV = 1.0 / sqrt(reduceSum(vv, lid.x) / f32(D) + P.eps);
  let half = D / 2u;
  for (var j = lid.x; j < half; j += ${THREADS}u) {
    let r = rotated(keyAt(base, j, invK), keyAt(base, j + half, invK), t, P.T, half, j);
    K[out + j] = r.x;
    K[out + j + half] = r.y;
  }
  for (var i = lid.x; i < D; i += ${THREADS}u) {
    let b = Vin[base + i];
    V[out + i] = select(b, b * invV, P.vNorm != 0u);
  }
  if (h == 0u && lid.x == 0u) { KPos[slot] = SlotPos[P.T + t]; }
}`;
}

/**
 * writeKv of k' = rope(rmsNorm(k, kNorm, form, eps, headDim)) and v' = rmsNorm(v, none, eps, headDim) (or v
 * itself without `vNorm`). A quantized norm weight (it would need a ninth storage binding) takes the
 * separate kernels.
 */
export function normRopeWriteKv(ctx: GpuContext, tables: RopeTables, store: GpuKvStore, k: GpuTensor, v: GpuTensor, kNorm: GpuWeight,
  form: NormForm, eps: number, vNorm: boolean, positions: Int32Array, invFreq: Float32Array, headDim: number, slots: Int32Array): void {
  if (store.headDim !== headDim) throw new Error(`normRopeWriteKv: head dim ${headDim}, store's ${store.headDim}`);
  if (kNorm.shape.length !== 1 || kNorm.shape[0] !== headDim) throw new Error(`normRopeWriteKv: norm weight [${kNorm.shape}] for head dim ${headDim}`);
  checkRope("normRopeWriteKv", k, positions, invFreq, headDim);
  if (kNorm.quantized) {
    const rotated = normRope(ctx, tables, k, kNorm, form, eps, positions, invFreq, headDim);
    const values = vNorm ? rmsNorm(ctx, v, null, "none", eps, headDim) : v;
    try {
      writeKv(ctx, store, rotated, values, slots, positions);
    } finally {
      releaseTensor(ctx, rotated);
      if (values !== v) releaseTensor(ctx, values);
    }
    return;
  }
  const { slotPos, storeBindings } = prepareWrite(ctx, "normRopeWriteKv", store, k, v, slots, positions);
  const table = tables.get(ctx, positions, invFreq);
  const pipeline = ctx.pipeline(`norm-rope-write-kv:${form}:${kNorm.storedDtype}`, () => normRopeWriteWgsl(form, kNorm));
  const params = ctx.params([slots.length, store.numKvHeads, headDim, f32Bits(eps), vNorm ? 1 : 0]);
  // Form "none" never reads the weight, and a binding the shader does not use is not in its layout.
  const weight = form === "none" ? null : chunkBindings(kNorm.chunks[0]!)[0]!;
  ctx.dispatch(pipeline, [params, bindTensor(k), bindTensor(v), weight, ...storeBindings, table, slotPos], slots.length * store.numKvHeads);
}
