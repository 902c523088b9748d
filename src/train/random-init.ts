/**
 * Fresh weights for training from scratch, as an in-memory TensorSource so the ordinary loader (and its
 * weight table) builds the model. Initialisation follows transformers' Gemma `_init_weights`: every
 * Linear and embedding N(0, initializer_range); RMSNorm weights at their identity (1 for Gemma 4's `x·w`
 * form, 0 for the `x·(1+w)` form); layer_scalar and router scales 1.
 */
import { SeededRandom } from "../engine/rng.js";
import { BadFileError } from "../errors.js";
import type { StoredTensor, TensorInfo } from "../formats/safetensors.js";
import type { TensorSource } from "../formats/tensor-source.js";
import type { ModelConfig } from "../model/model-config.js";
import { weightSpecs } from "../model/weight-table.js";

export function randomInitSource(config: ModelConfig, seed: number, initializerRange = 0.02): TensorSource {
  const rng = new SeededRandom(seed * 1000003 + 7);
  const tensors = new Map<string, StoredTensor>();
  for (const spec of weightSpecs(config)) {
    const name = spec.slot === "lmHead" ? spec.name : `model.${spec.name}`;
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const identityNorm = /norm\.weight$/.test(spec.name) || /layernorm(_\d)?\.weight$/.test(spec.name);
    if (identityNorm) data.fill(config.normForm === "one-plus" ? 0 : 1);
    else if (/layer_scalar$|router\.scale$|per_expert_scale$/.test(spec.name)) data.fill(1);
    else for (let i = 0; i < n; i++) data[i] = normal(rng) * initializerRange;
    tensors.set(name, { dtype: "f32", shape: spec.shape, data });
  }
  return new MemoryTensorSource("(random init)", tensors);
}

/** Box–Muller standard normal. */
export function normal(rng: SeededRandom): number {
  const u = 1 - rng.nextFloat();
  const v = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export class MemoryTensorSource implements TensorSource {
  constructor(readonly dir: string, private readonly tensors: ReadonlyMap<string, StoredTensor>) {}

  get tensorNames(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const t = this.get(name);
    return { name, dtype: t.dtype, shape: t.shape, fileOffset: 0, byteLength: t.data.byteLength };
  }

  read(name: string): StoredTensor {
    return this.get(name);
  }

  pathOf(): string {
    return this.dir;
  }

  get fileBytes(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += t.data.byteLength;
    return n;
  }

  close(): void {}

  private get(name: string): StoredTensor {
    const t = this.tensors.get(name);
    if (!t) throw new BadFileError(this.dir, `no tensor named ${JSON.stringify(name)}`);
    return t;
  }
}
