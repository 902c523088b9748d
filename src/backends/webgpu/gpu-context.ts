/**
 * The recorder behind every op: one command encoder (and one open compute pass) collects the work until a
 * readback needs it, then it is submitted. Long recordings are also submitted in parts (after 16, 32, 64,
 * then every 96 dispatches), so the GPU starts on a decode step (~300 dispatches for a 32-layer model)
 * while JS is still recording the rest. Small host data an op needs (uniform params,
 * token ids, positions, cos/sin tables) goes into an upload arena that is written with one
 * `queue.writeBuffer` just before the submit, so no per-op buffers are created. Activation buffers come
 * from a pool keyed by size; pipelines and bind groups are cached, so a decode step in steady state
 * creates no GPU objects at all.
 *
 * Ordering: releasing a tensor returns its buffer to the pool at once. That is safe because every later
 * use of the buffer is recorded after the earlier ones in the same queue order; host writes never go
 * straight into pooled buffers (they would overtake recorded work), only through the arena and a copy.
 */
/// <reference types="@webgpu/types" />
import { DeviceError, UnsupportedError } from "../../errors.js";
import type { GpuTensor } from "./gpu-tensors.js";

const ARENA_ALIGN = 256; // minUniformBufferOffsetAlignment and minStorageBufferOffsetAlignment
const INITIAL_ARENA_BYTES = 1 << 22;
/** Dispatches per submit within one recording: each submit costs some tens of µs of driver time, and
 *  every one lets the GPU start earlier. A recording's first submits come sooner (16, 32, 64 dispatches,
 *  then every 96), so that the GPU, idle while the host read the last step's token, starts within a few
 *  dozen µs of JS instead of after a whole batch. */
const SUBMIT_EVERY = 96;
const FIRST_SUBMIT = 16;

/** A region of the upload arena (or of a dedicated buffer for large uploads). */
export interface ArenaSlice {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

export type Binding = GPUBuffer | ArenaSlice | { readonly buffer: GPUBuffer; readonly size: number; readonly offset?: number };

/** Dispatches per timestamp query set when profiling (WebGPU allows 4096 queries per set). */
const PROFILE_SET_DISPATCHES = 2048;

export class GpuContext {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private arena: GPUBuffer;
  private arenaMirror: Uint8Array;
  /** The mirror as u32 words (offsets are multiples of ARENA_ALIGN). */
  private arenaWords: Uint32Array;
  private arenaUsed = 0;
  /** Arena bytes already written to the device by a submit within this recording. */
  private arenaWritten = 0;
  private dispatchesSinceSubmit = 0;
  /** Dispatches after which the recording is submitted next (grows from FIRST_SUBMIT to SUBMIT_EVERY). */
  private submitAfter = FIRST_SUBMIT;
  private overflowBytes = 0;
  private readonly destroyAfterSubmit: GPUBuffer[] = [];
  private readonly pool = new Map<number, GPUBuffer[]>();
  private readonly readPool = new Map<number, GPUBuffer[]>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly bindGroups = new Map<number, { readonly group: GPUBindGroup; readonly signature: readonly number[] }>();
  private readonly signatureScratch: number[] = [];
  /** The open compute pass's pipeline, so a run of dispatches of one kernel sets it once. */
  private passPipeline: GPUComputePipeline | null = null;
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private failure: DeviceError | null = null;
  private readonly pendingChecks: Promise<void>[] = [];
  /** Largest buffer one storage binding may cover. */
  readonly maxBindingBytes: number;
  /** Largest chunk of a weight (the binding limit, or less to exercise the split path in tests). */
  readonly weightChunkBytes: number;
  /** Open `tidy` scopes, innermost last: tensors created while one is open are released when it closes. */
  readonly scopes: Set<GpuTensor>[] = [];
  /** Incremented by every flush: arena slices from an older generation are gone. */
  generation = 0;
  /** Output rows per matrix-vector thread (1–4); null: each format's default (matmul.ts). For benchmarks. */
  matvecRowsPerThread: number | null = null;
  /** Counters for tests and benchmarks. */
  readonly stats = { submits: 0, buffersCreated: 0, dispatches: 0, pipelinesCreated: 0, bindGroupsCreated: 0 };
  private profile: { readonly querySets: GPUQuerySet[]; readonly labels: string[] } | null = null;

  /**
   * @param simpleKernels use barrier-free kernels (one thread per output) for every matmul: right for
   *   CPU adapters (llvmpipe, SwiftShader), where a tiled kernel's barriers cost seconds of shader compile
   *   and run slower than plain loops.
   */
  constructor(readonly device: GPUDevice, weightChunkBytes?: number, readonly simpleKernels = false) {
    this.maxBindingBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.weightChunkBytes = Math.min(weightChunkBytes ?? Infinity, this.maxBindingBytes);
    this.arena = this.createArena(INITIAL_ARENA_BYTES);
    this.arenaMirror = new Uint8Array(INITIAL_ARENA_BYTES);
    this.arenaWords = new Uint32Array(this.arenaMirror.buffer);
    device.lost.then((info) => {
      this.failure ??= new DeviceError(`the GPU device was lost (${info.reason}): ${info.message || "no message"}`);
    }, () => {});
    device.addEventListener("uncapturederror", (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.failure ??= error instanceof GPUOutOfMemoryError
        ? new DeviceError(`the GPU ran out of memory: ${error.message}`)
        : new DeviceError(`WebGPU error: ${error.message}`);
    });
  }

  /** Throws the first device failure seen (lost device, out of memory, validation error). */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Waits for outstanding error scopes, then throws if any reported a failure. */
  async settle(): Promise<void> {
    while (this.pendingChecks.length > 0) await Promise.all(this.pendingChecks.splice(0));
    this.check();
  }

  /** Creates a buffer, watching for out-of-memory (reported on the next `settle`). */
  createBuffer(size: number, usage: GPUBufferUsageFlags, what: string, mappedAtCreation = false): GPUBuffer {
    this.check();
    this.device.pushErrorScope("out-of-memory");
    const buffer = this.device.createBuffer({ size: Math.max(16, roundUp(size, 16)), usage, mappedAtCreation });
    this.pendingChecks.push(this.device.popErrorScope().then((error) => {
      if (error) this.failure ??= new DeviceError(`the GPU ran out of memory allocating ${formatBytes(size)} for ${what}: ${error.message}`);
    }));
    this.stats.buffersCreated++;
    return buffer;
  }

  private createArena(bytes: number): GPUBuffer {
    return this.createBuffer(bytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, "the upload arena");
  }

  // ---- activation buffers -------------------------------------------------------------------------

  /** A storage buffer of at least `bytes` from the pool. */
  acquire(bytes: number): GPUBuffer {
    if (bytes > this.maxBindingBytes) {
      throw new UnsupportedError(`an activation of ${formatBytes(bytes)} exceeds this GPU's largest storage binding (${formatBytes(this.maxBindingBytes)}); use a smaller prefill chunk`);
    }
    const size = poolSize(bytes);
    const free = this.pool.get(size);
    const reused = free?.pop();
    if (reused) return reused;
    return this.createBuffer(size, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, "an activation");
  }

  /** Returns a buffer from `acquire` to the pool. Free lists stay sorted (oldest buffer popped first), so
   *  each decode step gets the same buffers as the last and every bind group comes from the cache. */
  recycle(buffer: GPUBuffer): void {
    const list = this.pool.get(buffer.size);
    if (!list) {
      this.pool.set(buffer.size, [buffer]);
      return;
    }
    const id = this.idOf(buffer);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.idOf(list[mid]!) > id) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, buffer);
  }

  /** Destroys a buffer once the work recorded so far has been submitted. */
  destroyLater(buffer: GPUBuffer): void {
    this.destroyAfterSubmit.push(buffer);
  }

  // ---- host data ----------------------------------------------------------------------------------

  /** Copies `data` into the upload arena; the slice is valid for work recorded before the next submit.
   *  Never flushes (slices handed out earlier stay valid): when the arena is full the data goes into a
   *  dedicated buffer, and the arena grows at the next flush so steady state needs no new buffers. */
  upload(data: ArrayBufferView): ArenaSlice {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const slot = this.arenaSlot(bytes.length);
    if (slot) {
      this.arenaMirror.set(bytes, slot.offset);
      return slot;
    }
    const padded = Math.max(16, roundUp(bytes.length, 16));
    this.overflowBytes += roundUp(padded, ARENA_ALIGN);
    const buffer = this.createBuffer(padded, GPUBufferUsage.UNIFORM | GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, "uploaded data", true);
    new Uint8Array(buffer.getMappedRange()).set(bytes);
    buffer.unmap();
    this.destroyLater(buffer);
    return { buffer, offset: 0, size: padded };
  }

  /** Uniform parameters: a flat list of u32 words (f32 values go through `f32Bits`). */
  params(words: readonly number[]): ArenaSlice {
    const slot = this.arenaSlot(4 * words.length);
    if (!slot) return this.upload(Uint32Array.from(words));
    // Written straight into the mirror: a decode step makes hundreds of these, and an allocation each
    // showed up as garbage-collector time.
    const base = slot.offset >> 2;
    const view = this.arenaWords;
    for (let i = 0; i < words.length; i++) view[base + i] = words[i]!;
    for (let i = words.length; i < slot.size >> 2; i++) view[base + i] = 0;
    return slot;
  }

  /** The next `bytes` of the arena (padded to 16, the next slot aligned to ARENA_ALIGN), or null when it
   *  is full. */
  private arenaSlot(bytes: number): ArenaSlice | null {
    const padded = Math.max(16, roundUp(bytes, 16));
    if (this.arenaUsed + padded > this.arena.size) return null;
    const offset = this.arenaUsed;
    this.arenaUsed = roundUp(offset + padded, ARENA_ALIGN);
    return { buffer: this.arena, offset, size: padded };
  }

  // ---- recording ----------------------------------------------------------------------------------

  pipeline(key: string, code: () => string): GPUComputePipeline {
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const module = this.device.createShaderModule({ code: code(), label: key });
      pipeline = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label: key });
      this.pipelines.set(key, pipeline);
      this.stats.pipelinesCreated++;
    }
    return pipeline;
  }

  /** Records one dispatch; `bindings[i]` goes to @binding(i). Workgroup counts beyond 65535 fold into y. */
  dispatch(pipeline: GPUComputePipeline, bindings: readonly (Binding | null)[], workgroups: number | readonly [number, number, number]): void {
    this.check();
    const [x, y, z] = typeof workgroups === "number" ? foldWorkgroups(workgroups) : workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const profiled = this.profile;
    if (profiled) {
      // Its own pass, with the GPU's clock read at the pass's start and end.
      const i = profiled.labels.length % PROFILE_SET_DISPATCHES;
      if (i === 0) profiled.querySets.push(this.device.createQuerySet({ type: "timestamp", count: 2 * PROFILE_SET_DISPATCHES }));
      profiled.labels.push(pipeline.label);
      this.endPass();
      const querySet = profiled.querySets[profiled.querySets.length - 1]!;
      this.pass = this.commandEncoder().beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    }
    const group = this.bindGroup(pipeline, bindings);
    const pass = this.computePass();
    if (pipeline !== this.passPipeline) {
      pass.setPipeline(pipeline);
      this.passPipeline = pipeline;
    }
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    this.stats.dispatches++;
    if (profiled) this.endPass();
    else if (++this.dispatchesSinceSubmit >= this.submitAfter) {
      this.submitRecorded();
      this.submitAfter = Math.min(SUBMIT_EVERY, 2 * this.submitAfter);
    }
  }

  /** Times each following dispatch on the GPU, each in its own compute pass; false where the device was
   *  opened without timestamp queries (WebGpuBackendOptions.profiling). */
  startProfile(): boolean {
    if (!this.device.features.has("timestamp-query")) return false;
    this.endPass();
    this.profile = { querySets: [], labels: [] };
    return true;
  }

  /** Ends profiling: dispatch count and GPU nanoseconds per pipeline since startProfile. */
  async stopProfile(): Promise<Map<string, { count: number; ns: number }>> {
    const p = this.profile;
    this.profile = null;
    const byPipeline = new Map<string, { count: number; ns: number }>();
    if (!p || p.labels.length === 0) return byPipeline;
    this.endPass();
    const resolve = this.createBuffer(16 * p.labels.length, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, "profile timestamps");
    p.querySets.forEach((set, k) => {
      const n = Math.min(PROFILE_SET_DISPATCHES, p.labels.length - k * PROFILE_SET_DISPATCHES);
      this.commandEncoder().resolveQuerySet(set, 0, 2 * n, resolve, 16 * k * PROFILE_SET_DISPATCHES);
    });
    const stamps = new BigUint64Array(await this.readBack(resolve, 0, 16 * p.labels.length));
    p.labels.forEach((label, i) => {
      const entry = byPipeline.get(label) ?? { count: 0, ns: 0 };
      entry.count++;
      entry.ns += Number(stamps[2 * i + 1]! - stamps[2 * i]!);
      byPipeline.set(label, entry);
    });
    for (const set of p.querySets) set.destroy();
    resolve.destroy();
    return byPipeline;
  }

  /** `bindings[i]` goes to @binding(i); null leaves a number unused. Looked up by a hash of the
   *  pipeline and each binding's (buffer, offset, size), checked against the stored signature: a decode
   *  step looks up ~700 groups, and building a string key for each cost more than the Dawn calls. */
  private bindGroup(pipeline: GPUComputePipeline, bindings: readonly (Binding | null)[]): GPUBindGroup {
    const sig = this.signatureScratch;
    sig.length = 0;
    sig.push(this.idOf(pipeline));
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      if (!b) {
        sig.push(0, 0, 0);
        continue;
      }
      if ("buffer" in b) sig.push(this.idOf(b.buffer), b.offset ?? 0, b.size);
      else sig.push(this.idOf(b), 0, b.size);
    }
    let hash = 0x811c9dc5;
    for (let i = 0; i < sig.length; i++) hash = Math.imul(hash ^ sig[i]!, 0x01000193);
    const cached = this.bindGroups.get(hash);
    if (cached && sameNumbers(cached.signature, sig)) return cached.group;
    // Stale entries (destroyed buffers) are never hit again because ids are never reused; cap the size.
    if (this.bindGroups.size > 20000) this.bindGroups.clear();
    const entries: GPUBindGroupEntry[] = [];
    bindings.forEach((b, i) => {
      if (!b) return;
      const resource: GPUBufferBinding = "buffer" in b ? { buffer: b.buffer, offset: b.offset ?? 0, size: b.size } : { buffer: b, offset: 0, size: b.size };
      entries.push({ binding: i, resource });
    });
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.bindGroups.set(hash, { group, signature: [...sig] }); // a colliding hash just replaces the entry
    this.stats.bindGroupsCreated++;
    return group;
  }

  /** Keys of the compiled pipelines (each costs a shader compile: about 1–2 s on llvmpipe without its cache). */
  get pipelineKeys(): string[] {
    return [...this.pipelines.keys()];
  }

  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(o, id);
    }
    return id;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  /** Records a buffer-to-buffer copy (closes the open compute pass). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.check();
    if (bytes === 0) return;
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Records zeroing `bytes` (a multiple of 4) of `buffer` from `offset` (closes the open compute pass). */
  clear(buffer: GPUBuffer, offset: number, bytes: number): void {
    this.check();
    if (bytes === 0) return;
    this.endPass();
    this.commandEncoder().clearBuffer(buffer, offset, bytes);
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
      this.passPipeline = null;
    }
  }

  /** Submits what is recorded so far, with the arena bytes it may read written just before; arena slices
   *  stay valid (their offsets are not reused before the next flush). */
  private submitRecorded(): void {
    this.endPass();
    const queue = this.device.queue;
    if (this.arenaUsed > this.arenaWritten) {
      queue.writeBuffer(this.arena, this.arenaWritten, this.arenaMirror, this.arenaWritten, this.arenaUsed - this.arenaWritten);
      this.arenaWritten = this.arenaUsed;
    }
    if (this.encoder) {
      queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.stats.submits++;
    }
    this.dispatchesSinceSubmit = 0;
  }

  /** Submits everything recorded so far and starts a new recording (arena slices handed out are gone). */
  flush(): void {
    this.check();
    this.submitRecorded();
    this.submitAfter = FIRST_SUBMIT;
    const wanted = this.arenaUsed + this.overflowBytes;
    this.arenaUsed = 0;
    this.arenaWritten = 0;
    this.overflowBytes = 0;
    this.generation++;
    for (const b of this.destroyAfterSubmit.splice(0)) b.destroy();
    if (wanted > this.arena.size) {
      // Prefill's cos/sin tables come back every forward: make room for them for good.
      this.arena.destroy();
      const bytes = roundUp(wanted * 1.5, 1 << 20);
      this.arena = this.createArena(bytes);
      this.arenaMirror = new Uint8Array(bytes);
      this.arenaWords = new Uint32Array(this.arenaMirror.buffer);
    }
  }

  /** Copies `bytes` of `src` (as recorded so far) to the host: records the copy now, submits, maps. */
  async readBack(src: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(16, roundUp(bytes, 16));
    const staging = this.readPool.get(size)?.pop() ?? this.createBuffer(size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, "a readback buffer");
    this.copy(src, offset, staging, 0, roundUp(bytes, 4));
    this.flush();
    await this.settle();
    // A lost device rejects mapAsync; the race is a second guard so a read can never hang.
    await Promise.race([
      staging.mapAsync(GPUMapMode.READ, 0, size),
      this.device.lost.then((info) => { throw new DeviceError(`the GPU device was lost during a read (${info.reason}): ${info.message}`); }),
    ]);
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    const list = this.readPool.get(size);
    if (list) list.push(staging);
    else this.readPool.set(size, [staging]);
    this.check();
    return out;
  }

  destroy(): void {
    for (const list of [...this.pool.values(), ...this.readPool.values()]) for (const b of list) b.destroy();
    this.pool.clear();
    this.readPool.clear();
    this.arena.destroy();
    this.device.destroy();
  }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/** Pool size classes: powers of two up to 64 KiB, then steps of 1/8 of a power of two (≤ 12.5% waste). */
function poolSize(bytes: number): number {
  const b = Math.max(256, bytes);
  if (b <= 65536) return 2 ** Math.ceil(Math.log2(b));
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return roundUp(b, step);
}

function foldWorkgroups(n: number): [number, number, number] {
  if (n <= 65535) return [n, 1, 1];
  const y = Math.ceil(n / 65535);
  return [Math.ceil(n / y), y, 1];
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** The bits of float32 `x`, for a params word read as f32 by the shader. */
export function f32Bits(x: number): number {
  f32Scratch[0] = x;
  return u32Scratch[0]!;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

/** WGSL: the flat workgroup index of a dispatch folded by `foldWorkgroups`. */
export const FLAT_WORKGROUP = "(wid.x + wid.y * nwg.x)";
