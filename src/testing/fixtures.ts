/** Locations and readers of the test fixtures in test/fixtures (copied from shared/fixtures). */
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile } from "../formats/safetensors.js";
import { readHfConfig } from "../formats/hf-config.js";
import { SafetensorsCheckpoint } from "../formats/safetensors-checkpoint.js";
import type { Backend } from "../backends/ops.js";
import { GemmaDecoder } from "../model/decoder.js";
import { loadModelWeights } from "../model/model-weights.js";

import { PACKAGE_ROOT } from "../package-root.js";

export { PACKAGE_ROOT };
export const FIXTURES = join(PACKAGE_ROOT, "test", "fixtures");
export const HF_FIXTURES = join(FIXTURES, "hf");

/** Names of the transformers reference models (folders holding reference.safetensors). */
export function hfFixtureNames(): string[] {
  return readdirSync(HF_FIXTURES).filter((n) => existsSync(join(HF_FIXTURES, n, "reference.safetensors"))).sort();
}

export interface HfReference {
  readonly inputIds: Int32Array[]; // 2 sequences
  readonly logits: Float32Array[]; // per sequence [S, V]
  readonly hiddenStates: Float32Array[]; // sequence 0, index 0..L
  readonly prompt: Int32Array[];
  readonly output: Int32Array[];
  readonly generateLogits: Float32Array[]; // per sequence [10+N, V]
}

export function readHfReference(name: string): HfReference {
  const file = SafetensorsFile.open(join(HF_FIXTURES, name, "reference.safetensors"));
  try {
    const rows = <T extends Int32Array | Float32Array>(tensorName: string): T[] => {
      const t = file.read(tensorName);
      const n = t.shape[0]!;
      const per = t.data.length / n;
      return Array.from({ length: n }, (_, i) => t.data.slice(i * per, (i + 1) * per) as T);
    };
    const hiddenStates: Float32Array[] = [];
    for (let i = 0; file.tensors.has(`hidden_states.${i}`); i++) hiddenStates.push(file.read(`hidden_states.${i}`).data as Float32Array);
    return {
      inputIds: rows("input_ids"),
      logits: rows("logits"),
      hiddenStates,
      prompt: rows("generate.prompt"),
      output: rows("generate.output"),
      generateLogits: rows("generate.logits"),
    };
  } finally {
    file.close();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/** Index of the largest value in row `row` of a [rows, V] array. */
export function argmaxRow(values: Float32Array, row: number, V: number): number {
  let best = row * V;
  for (let i = row * V + 1; i < (row + 1) * V; i++) if (values[i]! > values[best]!) best = i;
  return best - row * V;
}

/** The decoder of HF fixture `name` with its weights on `backend`. */
export function fixtureDecoder(name: string, backend: Backend): GemmaDecoder {
  const dir = join(HF_FIXTURES, name);
  const { config } = readHfConfig(dir);
  const checkpoint = SafetensorsCheckpoint.open(dir);
  try {
    return new GemmaDecoder(config, loadModelWeights(config, checkpoint, backend), backend);
  } finally {
    checkpoint.close();
  }
}
