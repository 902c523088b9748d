/**
 * x [T, in] · wᵀ (w [out, in], stored dtype) → [T, out], and embedding lookups.
 * T = 1 (decode): matrix-vector, 32–256 threads per group of output rows (several groups per 256-thread
 * workgroup for short rows), each dotting 16-byte groups of the rows (vec4 loads) when the row length
 * allows, with x loaded once per group of 1–4 rows, then a two-step shared-memory sum.
 * T > 1 (prefill): 64×64 output tiles, 4×4 per thread, weights converted to f32 as they enter shared
 * memory. Weights split into row chunks get one dispatch per chunk, each writing its columns of y.
 */
import type { Activation } from "../ops.js";
import type { Binding, GpuContext } from "./gpu-context.js";
import { FLAT_WORKGROUP, f32Bits } from "./gpu-context.js";
import { MATH_WGSL, gatedActivation } from "./elementwise.js";
import { type GpuTensor, type GpuWeight } from "./gpu-tensors.js";
import { GROUP_WIDTH, chunkBindings, weightWgsl } from "./weight-storage.js";
import { bindTensor, newTensor, releaseTensor } from "./tensor-alloc.js";

const MATVEC_THREADS = 256;

/**
 * Threads per row: enough that each does a handful of 16-byte loads (short rows would otherwise leave most
 * of a 256-thread workgroup idle and spend the time in the reduction); 256/TPR rows per workgroup.
 */
export function matvecThreadsPerRow(w: GpuWeight, vector: boolean): number {
  const groups = vector ? w.cols / GROUP_WIDTH[w.storedDtype] : w.cols;
  let tpr = 32;
  while (tpr < MATVEC_THREADS && tpr * 2 * 4 <= groups) tpr *= 2;
  return tpr;
}

/**
 * Rows per thread: each thread dots its x values with this many weight rows, so x is read once per that
 * many rows. x reads come from cache, but at 32 weights per 16–32 bytes (Q4_0, Q8_0) they are 4–8× the
 * weight bytes, which makes cache bandwidth the limit; the float formats read 2× as many x bytes as
 * weight bytes.
 */
export function matvecRowsPerThread(w: GpuWeight, override: number | null): number {
  if (override !== null) return override;
  return w.quantized ? 2 : 1;
}

/** Reader suffixes, weight bindings and outputs of the parts of a multi-weight matvec; the gated form's
 *  up weight is read as part 1 (suffix B, binding 5). */
const PARTS = [
  { suffix: "", weight: 3, output: "Y" },
  { suffix: "B", weight: 5, output: "YB" },
  { suffix: "C", weight: 7, output: "YC" },
] as const;
const PART_OUTPUT_BINDINGS = [2, 9, 10];

/** WGSL of act(g)·u for a gated pair's outputs. */
function gatedExpr(activation: Activation, g: string, u: string): string {
  return activation === "gelu_tanh" ? `geluTanh(${g}) * ${u}` : `geluExact(${g}) * ${u}`;
}

/**
 * What one matvec dispatch computes: one weight; the gated form act(x·gateᵀ) ⊙ (x·upᵀ), the up weight
 * (same shape and dtype) bound from binding 5 and each thread dotting its x values with its rows of both,
 * so one dispatch replaces three; or x·wᵀ for 2–3 weights of one dtype and input width (q, k, v), each
 * with its own output, the workgroups split between them (each workgroup's rows are of one weight).
 */
export type MatvecMode = { readonly kind: "single" } | { readonly kind: "gated"; readonly activation: Activation } | { readonly kind: "many"; readonly count: number };

function matvecWgsl(w: GpuWeight, vector: boolean, tpr: number, rowsPerThread: number, mode: MatvecMode = { kind: "single" }): string {
  const rowGroups = MATVEC_THREADS / tpr;
  const R = rowsPerThread;
  const pair = mode.kind === "gated" ? mode.activation : null;
  const parts = mode.kind === "many" ? PARTS.slice(0, mode.count) : [PARTS[0]];
  // Each part's statement, chosen by the workgroup's part (uniform across the workgroup).
  const byPart = (statement: (suffix: string, output: string) => string): string =>
    parts.length === 1 ? statement("", "Y")
      : parts.map((p, k) => `${k === 0 ? "" : " else "}${k === parts.length - 1 ? "" : `if (part == ${k}u) `}{ ${statement(p.suffix, p.output)} }`).join("");
  const A = pair ? 2 * R : R; // accumulators per thread: its rows of the gate, then of the up weight
  const xRegs = GROUP_WIDTH[w.storedDtype] / 4;
  const x = vector ? "@group(0) @binding(1) var<storage, read> X4: array<vec4<f32>>;" : "@group(0) @binding(1) var<storage, read> X: array<f32>;";
  const loop = vector
    ? `let G = ${GROUP_WIDTH[w.storedDtype]}u;
    for (var g = lane; g < P.inDim / G; g += ${tpr}u) {
      var xv: array<vec4<f32>, ${xRegs}>;
      for (var k = 0u; k < ${xRegs}u; k++) { xv[k] = X4[g * ${xRegs}u + k]; }
      for (var r = 0u; r < rows; r++) {
        ${byPart((sfx) => `acc[r] += wDotRegs${sfx}((row0 + r) * P.inDim + g * G, xv);`)}${pair ? "\n        acc[R + r] += wDotRegsB((row0 + r) * P.inDim + g * G, xv);" : ""}
      }
    }`
    : `for (var i = lane; i < P.inDim; i += ${tpr}u) {
      let xi = X[i];
      for (var r = 0u; r < rows; r++) {
        ${byPart((sfx) => `acc[r] += xi * wAt${sfx}((row0 + r) * P.inDim + i);`)}${pair ? "\n        acc[R + r] += xi * wAtB((row0 + r) * P.inDim + i);" : ""}
      }
    }`;
  const total = (r: string): string => `sumRow(local * A + ${r})`;
  const store = pair
    ? `Y[P.outOffset + row0 + r] = ${gatedExpr(pair, total("r"), total("R + r"))};`
    : byPart((_sfx, out) => `${out}[P.outOffset + row0 + r] = ${total("r")};`);
  // Many: Params.rows is part 0's, and part k ≥ 1 starts at workgroup startK with rowsK rows.
  const partSelect = parts.length === 1
    ? `let wg = ${FLAT_WORKGROUP};
  let partRows = P.rows;`
    : `var part = 0u;
  var wg = ${FLAT_WORKGROUP};
  var partRows = P.rows;
  ${parts.slice(1).reverse().map((_p, i) => {
    const k = parts.length - 1 - i;
    return `${i === 0 ? "" : "else "}if (wg >= P.start${k}) { part = ${k}u; wg -= P.start${k}; partRows = P.rows${k}; }`;
  }).join("\n  ")}`;
  const extraParams = parts.length === 1 ? "" : parts.slice(1).map((_p, i) => `, rows${i + 1}: u32, start${i + 1}: u32`).join("");
  // Segmented sum without a barrier inside a loop (see reduce-wgsl.ts): 16 threads per output row add a
  // sixteenth of the row's partial sums each, then one thread per row group adds those 16 per row.
  return `
struct Params { rows: u32, inDim: u32, outOffset: u32, outCols: u32${extraParams} }
@group(0) @binding(0) var<uniform> P: Params;
${x}
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${weightWgsl(w.storedDtype, 3, vector)}
${pair ? `${weightWgsl(w.storedDtype, 5, vector, "B")}\n${MATH_WGSL}` : ""}
${parts.slice(1).map((p, i) => `@group(0) @binding(${PART_OUTPUT_BINDINGS[i + 1]}) var<storage, read_write> ${p.output}: array<f32>;\n${weightWgsl(w.storedDtype, p.weight, vector, p.suffix)}`).join("\n")}
const R = ${R}u;
const A = ${A}u;
var<workgroup> parts: array<f32, ${MATVEC_THREADS * A}>;
var<workgroup> sixteenths: array<f32, ${rowGroups * A * 16}>;
fn sumRow(k: u32) -> f32 {
  var total = 0.0;
  for (var i = 0u; i < 16u; i++) { total += sixteenths[k * 16u + i]; }
  return total;
}
@compute @workgroup_size(${MATVEC_THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let local = lid.x / ${tpr}u;
  let lane = lid.x % ${tpr}u;
  ${partSelect}
  let row0 = (wg * ${rowGroups}u + local) * R;
  let rows = min(R, select(0u, partRows - row0, row0 < partRows));
  var acc: array<f32, ${A}>;
  ${loop}
  for (var a = 0u; a < A; a++) { parts[a * ${MATVEC_THREADS}u + lid.x] = acc[a]; }
  workgroupBarrier();
  for (var s = lid.x; s < ${rowGroups * A * 16}u; s += ${MATVEC_THREADS}u) {
    let rg = s / (A * 16u);
    let a = (s / 16u) % A;
    var sum = 0.0;
    for (var i = s % 16u; i < ${tpr}u; i += 16u) { sum += parts[a * ${MATVEC_THREADS}u + rg * ${tpr}u + i]; }
    sixteenths[s] = sum;
  }
  workgroupBarrier();
  if (lane == 0u) {
    for (var r = 0u; r < rows; r++) { ${store} }
  }
}`;
}

/** The matrix-vector kernel for w's row length and format (`mode` as matvecWgsl takes it), and the
 *  workgroups that cover `rows` output rows with it. */
function matvecKernel(ctx: GpuContext, w: GpuWeight, mode: MatvecMode = { kind: "single" }): { pipeline: GPUComputePipeline; workgroups: (rows: number) => number } {
  const vector = w.cols % GROUP_WIDTH[w.storedDtype] === 0;
  const tpr = matvecThreadsPerRow(w, vector);
  const R = matvecRowsPerThread(w, ctx.matvecRowsPerThread);
  const variant = mode.kind === "single" ? "" : mode.kind === "gated" ? `:${mode.activation}` : `:many${mode.count}`;
  const pipeline = ctx.pipeline(`matvec:${w.storedDtype}:${vector}:${tpr}:${R}${variant}`, () => matvecWgsl(w, vector, tpr, R, mode));
  return { pipeline, workgroups: (rows) => Math.ceil((rows * tpr) / (MATVEC_THREADS * R)) };
}

/** Short rows (tiny models, tests on llvmpipe): one thread per output value, no barriers. */
const SMALL_ROW_THREADS = 64;
const SMALL_IN_DIM = 512;

function matmulSmallWgsl(w: GpuWeight, vector: boolean, pair: Activation | null = null): string {
  const x = vector ? "@group(0) @binding(1) var<storage, read> X4: array<vec4<f32>>;" : "@group(0) @binding(1) var<storage, read> X: array<f32>;";
  const loop = vector
    ? `let G = ${GROUP_WIDTH[w.storedDtype]}u;
  let xBase = t * (P.inDim / 4u);
  for (var g = 0u; g < P.inDim / G; g++) {
    acc += wDotGroup(rowBase + g * G, xBase + g * (G / 4u));${pair ? "\n    accB += wDotGroupB(rowBase + g * G, xBase + g * (G / 4u));" : ""}
  }`
    : `let xBase = t * P.inDim;
  for (var i = 0u; i < P.inDim; i++) {
    acc += X[xBase + i] * wAt(rowBase + i);${pair ? "\n    accB += X[xBase + i] * wAtB(rowBase + i);" : ""}
  }`;
  return `
struct Params { T: u32, rows: u32, inDim: u32, outOffset: u32, outCols: u32 }
@group(0) @binding(0) var<uniform> P: Params;
${x}
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${weightWgsl(w.storedDtype, 3, vector)}
${pair ? `${weightWgsl(w.storedDtype, 5, vector, "B")}\n${MATH_WGSL}` : ""}
@compute @workgroup_size(${SMALL_ROW_THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let n = ${FLAT_WORKGROUP} * ${SMALL_ROW_THREADS}u + lid.x;
  if (n >= P.T * P.rows) { return; }
  let t = n / P.rows;
  let row = n % P.rows;
  let rowBase = row * P.inDim;
  var acc = 0.0;${pair ? "\n  var accB = 0.0;" : ""}
  ${loop}
  Y[t * P.outCols + P.outOffset + row] = ${pair ? gatedExpr(pair, "acc", "accB") : "acc"};
}`;
}

const TILE = 64;
const TILE_K = 16;

function tiledWgsl(w: GpuWeight): string {
  return `
struct Params { T: u32, rows: u32, inDim: u32, outOffset: u32, outCols: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${weightWgsl(w.storedDtype, 3, false)}
// Transposed tiles, k-major: xs[k][row], ws[k][col], read as vec4 across 4 rows / 4 columns.
var<workgroup> xs: array<vec4<f32>, ${(TILE * TILE_K) / 4}>;
var<workgroup> ws: array<vec4<f32>, ${(TILE * TILE_K) / 4}>;
fn loadX(r: u32, k: u32) -> f32 {
  if (r < P.T && k < P.inDim) { return X[r * P.inDim + k]; }
  return 0.0;
}
fn loadW(c: u32, k: u32) -> f32 {
  if (c < P.rows && k < P.inDim) { return wAt(c * P.inDim + k); }
  return 0.0;
}
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * ${TILE}u;   // token rows of x
  let col0 = wid.x * ${TILE}u;   // weight rows (output columns)
  // Thread li loads 4 consecutive rows (and columns) at one k: k = li % 16, group = li / 16.
  let lk = li % ${TILE_K}u;
  let lg = li / ${TILE_K}u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < P.inDim; k0 += ${TILE_K}u) {
    let r = row0 + lg * 4u;
    xs[lk * 16u + lg] = vec4<f32>(loadX(r, k0 + lk), loadX(r + 1u, k0 + lk), loadX(r + 2u, k0 + lk), loadX(r + 3u, k0 + lk));
    let c = col0 + lg * 4u;
    ws[lk * 16u + lg] = vec4<f32>(loadW(c, k0 + lk), loadW(c + 1u, k0 + lk), loadW(c + 2u, k0 + lk), loadW(c + 3u, k0 + lk));
    workgroupBarrier();
    for (var k = 0u; k < ${TILE_K}u; k++) {
      let a = xs[k * 16u + lid.y];
      let b = ws[k * 16u + lid.x];
      acc0 += a.x * b;
      acc1 += a.y * b;
      acc2 += a.z * b;
      acc3 += a.w * b;
    }
    workgroupBarrier();
  }
  let c = col0 + lid.x * 4u;
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r < P.T) {
      let base = r * P.outCols + P.outOffset + c;
      let v = accs[i];
      if (c < P.rows) { Y[base] = v.x; }
      if (c + 1u < P.rows) { Y[base + 1u] = v.y; }
      if (c + 2u < P.rows) { Y[base + 2u] = v.z; }
      if (c + 3u < P.rows) { Y[base + 3u] = v.w; }
    }
  }
}`;
}

export function matmul(ctx: GpuContext, x: GpuTensor, w: GpuWeight): GpuTensor {
  if (w.shape.length !== 2 || x.cols !== w.cols) throw new Error(`matmul: x [${x.shape}] · w [${w.shape}]ᵀ do not fit`);
  const T = x.rows;
  const outDim = w.shape[0]!;
  const inDim = w.cols;
  const y = newTensor(ctx, [T, outDim]);
  const vector = inDim % GROUP_WIDTH[w.storedDtype] === 0;
  if (inDim < SMALL_IN_DIM || ctx.simpleKernels) {
    const pipeline = ctx.pipeline(`matmul-small:${w.storedDtype}:${vector}`, () => matmulSmallWgsl(w, vector));
    for (const chunk of w.chunks) {
      const params = ctx.params([T, chunk.rows, inDim, chunk.rowStart, outDim]);
      ctx.dispatch(pipeline, [params, bindTensor(x), bindTensor(y), ...chunkBindings(chunk)], Math.ceil((T * chunk.rows) / SMALL_ROW_THREADS));
    }
  } else if (T === 1) {
    const { pipeline, workgroups } = matvecKernel(ctx, w);
    for (const chunk of w.chunks) {
      const params = ctx.params([chunk.rows, inDim, chunk.rowStart, outDim]);
      ctx.dispatch(pipeline, [params, bindTensor(x), bindTensor(y), ...chunkBindings(chunk)], workgroups(chunk.rows));
    }
  } else {
    const pipeline = ctx.pipeline(`matmul-tiled:${w.storedDtype}`, () => tiledWgsl(w));
    for (const chunk of w.chunks) {
      const params = ctx.params([T, chunk.rows, inDim, chunk.rowStart, outDim]);
      ctx.dispatch(pipeline, [params, bindTensor(x), bindTensor(y), ...chunkBindings(chunk)], [Math.ceil(chunk.rows / TILE), Math.ceil(T / TILE), 1]);
    }
  }
  return y;
}

/** A weight's one chunk as bindings from 3 (data, then block scales or an unused number). */
function singleChunkBindings(w: GpuWeight): (Binding | null)[] {
  const bindings: (Binding | null)[] = chunkBindings(w.chunks[0]!);
  if (bindings.length === 1) bindings.push(null);
  return bindings;
}

/**
 * act(x·gateᵀ) ⊙ (x·upᵀ), the MLP's first half. One dispatch where both weights are single chunks of one
 * dtype and the kernel is a matrix-vector or simple one (decode, CPU adapters); otherwise two matmuls
 * and the gated activation, exactly what the fused kernel computes.
 */
export function gatedMatmul(ctx: GpuContext, x: GpuTensor, gate: GpuWeight, up: GpuWeight, activation: Activation): GpuTensor {
  const T = x.rows;
  const inDim = gate.cols;
  const fusable = gate.shape.length === 2 && up.shape.length === 2 && gate.shape[0] === up.shape[0] && gate.cols === up.cols &&
    gate.storedDtype === up.storedDtype && gate.chunks.length === 1 && up.chunks.length === 1 && x.cols === inDim;
  const small = inDim < SMALL_IN_DIM || ctx.simpleKernels;
  if (!fusable || (!small && T !== 1)) {
    const g = matmul(ctx, x, gate);
    const u = matmul(ctx, x, up);
    const y = gatedActivation(ctx, g, u, activation);
    releaseTensor(ctx, g);
    releaseTensor(ctx, u);
    return y;
  }
  const outDim = gate.shape[0]!;
  const y = newTensor(ctx, [T, outDim]);
  const weights = [...singleChunkBindings(gate), ...singleChunkBindings(up)];
  if (small) {
    const vector = inDim % GROUP_WIDTH[gate.storedDtype] === 0;
    const pipeline = ctx.pipeline(`matmul-small:${gate.storedDtype}:${vector}:${activation}`, () => matmulSmallWgsl(gate, vector, activation));
    const params = ctx.params([T, outDim, inDim, 0, outDim]);
    ctx.dispatch(pipeline, [params, bindTensor(x), bindTensor(y), ...weights], Math.ceil((T * outDim) / SMALL_ROW_THREADS));
  } else {
    const { pipeline, workgroups } = matvecKernel(ctx, gate, { kind: "gated", activation });
    const params = ctx.params([outDim, inDim, 0, outDim]);
    ctx.dispatch(pipeline, [params, bindTensor(x), bindTensor(y), ...weights], workgroups(outDim));
  }
  return y;
}

/**
 * x·wᵀ for each of 2–3 weights (q, k and v): one matrix-vector dispatch where x is one row, the weights
 * share dtype and input width, each is one chunk, and the device allows the storage bindings; otherwise
 * one matmul each (the same arithmetic either way).
 */
export function matmulEach(ctx: GpuContext, x: GpuTensor, ws: readonly GpuWeight[]): GpuTensor[] {
  const first = ws[0];
  // x, the outputs and the weights (two bindings each when quantized).
  const storageBindings = 1 + ws.length * (first?.quantized ? 3 : 2);
  const fusable = first !== undefined && ws.length >= 2 && ws.length <= PARTS.length && x.rows === 1 && !ctx.simpleKernels &&
    first.cols >= SMALL_IN_DIM && x.cols === first.cols && storageBindings <= ctx.device.limits.maxStorageBuffersPerShaderStage &&
    ws.every((w) => w.shape.length === 2 && w.cols === first.cols && w.storedDtype === first.storedDtype && w.chunks.length === 1);
  if (!fusable) return ws.map((w) => matmul(ctx, x, w));
  const kernel = matvecKernel(ctx, first, { kind: "many", count: ws.length });
  const outputs = ws.map((w) => newTensor(ctx, [1, w.shape[0]!]));
  const workgroups = ws.map((w) => kernel.workgroups(w.shape[0]!));
  const words = [first.shape[0]!, first.cols, 0, first.shape[0]!];
  let start = workgroups[0]!;
  for (let k = 1; k < ws.length; k++) {
    words.push(ws[k]!.shape[0]!, start);
    start += workgroups[k]!;
  }
  const bindings: (Binding | null)[] = [ctx.params(words), bindTensor(x), bindTensor(outputs[0]!)];
  ws.forEach((w) => bindings.push(...singleChunkBindings(w)));
  outputs.slice(1).forEach((y, k) => { bindings[PART_OUTPUT_BINDINGS[k + 1]!] = bindTensor(y); });
  ctx.dispatch(kernel.pipeline, bindings, start);
  return outputs;
}

function embedWgsl(w: GpuWeight): string {
  return `
struct Params { count: u32, cols: u32, scale: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Rows: array<vec2<u32>>;  // (row within the chunk, output row)
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${weightWgsl(w.storedDtype, 3, false)}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = ${FLAT_WORKGROUP};
  if (i >= P.count) { return; }
  let r = Rows[i];
  for (var c = lid.x; c < P.cols; c += 64u) { Y[r.y * P.cols + c] = wAt(r.x * P.cols + c) * P.scale; }
}`;
}

/** Rows `ids` of table [V, N] times `scale`; ids are on the host, so each chunk gets only its own rows. */
export function embed(ctx: GpuContext, table: GpuWeight, ids: Int32Array, scale: number): GpuTensor {
  const [V, N] = table.shape as [number, number];
  if (table.shape.length !== 2) throw new Error(`embed: table [${table.shape}] is not 2-D`);
  for (const id of ids) if (!(id >= 0 && id < V)) throw new RangeError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
  const y = newTensor(ctx, [ids.length, N]);
  const pipeline = ctx.pipeline(`embed:${table.storedDtype}`, () => embedWgsl(table));
  for (const chunk of table.chunks) {
    const pairs: number[] = [];
    ids.forEach((id, t) => { if (id >= chunk.rowStart && id < chunk.rowStart + chunk.rows) pairs.push(id - chunk.rowStart, t); });
    if (pairs.length === 0) continue;
    const rows = ctx.upload(Uint32Array.from(pairs));
    const params = ctx.params([pairs.length / 2, N, f32Bits(scale)]);
    ctx.dispatch(pipeline, [params, rows, bindTensor(y), ...chunkBindings(chunk)], pairs.length / 2);
  }
  return y;
}
