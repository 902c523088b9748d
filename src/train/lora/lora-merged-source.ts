/**
 * A checkpoint with a LoRA adapter merged in, seen as a TensorSource: reading an adapted Linear weight
 * returns W + (α/r)·B·A (computed in float32 with double sums), every other tensor passes through. The
 * loader then builds an ordinary model from it, so inference with an adapter costs nothing per token.
 * Merged tensors come back as float32 (`mergedDtype` "f32") for inference, or rounded to the base's stored
 * dtype ("stored") when writing a merged checkpoint, as PEFT's merge_and_unload does.
 */
import { BadFileError } from "../../errors.js";
import { fromFloat32, toFloat32 } from "../../formats/dtype.js";
import type { StoredTensor, TensorInfo } from "../../formats/safetensors.js";
import type { TensorSource } from "../../formats/tensor-source.js";
import { detectPrefix } from "../../model/model-weights.js";
import { isLinearWeightName, loraScaling, matchesTarget, peftTensorName } from "./lora-spec.js";
import type { PeftAdapter } from "./peft-adapter.js";

export class LoraMergedSource implements TensorSource {
  /** Checkpoint names of the merged weights. */
  readonly mergedNames: readonly string[];

  constructor(private readonly base: TensorSource, private readonly adapter: PeftAdapter, private readonly mergedDtype: "f32" | "stored" = "f32") {
    const prefix = detectPrefix(base);
    const merged: string[] = [];
    const used = new Set<string>();
    for (const name of base.tensorNames) {
      if (!name.startsWith(prefix) || !isLinearWeightName(name) || !matchesTarget(name, adapter.spec.targetModules)) continue;
      const a = peftTensorName(name, "A");
      const b = peftTensorName(name, "B");
      if (!adapter.tensors.has(a) || !adapter.tensors.has(b)) continue;
      merged.push(name);
      used.add(a).add(b);
    }
    const unused = [...adapter.tensors.keys()].filter((n) => !used.has(n));
    if (unused.length > 0) throw new BadFileError(base.dir, `the adapter's ${unused[0]} (and ${unused.length - 1} more) match no weight of this model`);
    this.mergedNames = merged;
  }

  get dir(): string {
    return this.base.dir;
  }

  get tensorNames(): readonly string[] {
    return this.base.tensorNames;
  }

  get fileBytes(): number {
    return this.base.fileBytes;
  }

  has(name: string): boolean {
    return this.base.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.base.info(name);
    if (!this.mergedNames.includes(name) || this.mergedDtype === "stored") return info;
    return { ...info, dtype: "f32", byteLength: info.byteLength * (4 / (info.dtype === "f32" ? 4 : 2)) };
  }

  read(name: string): StoredTensor {
    const stored = this.base.read(name);
    if (!this.mergedNames.includes(name)) return stored;
    const [outDim, inDim] = stored.shape as [number, number];
    const w = stored.dtype === "f32" ? Float32Array.from(stored.data as Float32Array) : toFloat32(stored.dtype, stored.data);
    const a = this.adapter.tensors.get(peftTensorName(name, "A"))!;
    const b = this.adapter.tensors.get(peftTensorName(name, "B"))!;
    const r = a.length / inDim;
    if (!Number.isInteger(r) || b.length !== outDim * r) throw new BadFileError(this.dir, `adapter tensors for ${name} do not fit its shape [${outDim}, ${inDim}]`);
    const s = loraScaling(this.adapter.spec);
    for (let o = 0; o < outDim; o++) {
      for (let i = 0; i < inDim; i++) {
        let sum = 0;
        for (let k = 0; k < r; k++) sum += b[o * r + k]! * a[k * inDim + i]!;
        w[o * inDim + i] = w[o * inDim + i]! + s * sum;
      }
    }
    if (this.mergedDtype === "stored" && (stored.dtype === "bf16" || stored.dtype === "f16")) return { dtype: stored.dtype, shape: stored.shape, data: fromFloat32(stored.dtype, w) };
    return { dtype: "f32", shape: stored.shape, data: w };
  }

  pathOf(name: string): string {
    return this.base.pathOf(name);
  }

  close(): void {
    this.base.close();
  }
}
