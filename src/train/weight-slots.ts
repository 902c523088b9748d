/**
 * Reaching into `ModelWeights` by the weight table's slot paths ("layers.3.attention.q", "perLayer.embed"),
 * so training can name every weight by its checkpoint name and swap a Linear weight for a LoRA-wrapped one
 * without the decoder or the loader knowing.
 */
import type { Weight } from "../backends/ops.js";
import type { ModelWeights } from "../model/model-weights.js";

function walk(weights: ModelWeights, slot: string): { parent: Record<string, unknown>; key: string } {
  const parts = slot.split(".");
  let node: unknown = weights;
  for (const part of parts.slice(0, -1)) {
    if (node === null || typeof node !== "object") throw new Error(`weight slot ${slot}: ${part} is not reachable`);
    node = (node as Record<string, unknown>)[part];
  }
  if (node === null || typeof node !== "object") throw new Error(`weight slot ${slot} is not reachable`);
  return { parent: node as Record<string, unknown>, key: parts[parts.length - 1]! };
}

export function getSlot(weights: ModelWeights, slot: string): Weight {
  const { parent, key } = walk(weights, slot);
  const w = parent[key];
  if (w === null || typeof w !== "object" || !("shape" in w) || !("dtype" in w)) throw new Error(`weight slot ${slot} holds no weight`);
  if ("kind" in w && w.kind === "row-parts") throw new Error(`weight slot ${slot} was loaded in row parts (a table too large for one weight)`);
  return w as Weight;
}

/** Replaces the weight in `slot` (the decoder reads slots on every forward, so the swap takes effect at once). */
export function setSlot(weights: ModelWeights, slot: string, weight: Weight): void {
  const { parent, key } = walk(weights, slot);
  if (!(key in parent)) throw new Error(`weight slot ${slot} does not exist`);
  parent[key] = weight;
}
