/**
 * Which ggml type each tensor gets, following llama.cpp: the converter's rules for what stays float32
 * (conversion/base.py prepare_tensors) and llama-quantize's mixes (src/llama-quant.cpp:
 * tensor_allows_quantization, llama_tensor_get_type_impl, tensor_type_fallback) for the file types we write.
 * Q4_K_M, for example, is Q4_K except: the output head (or the tied token embedding) Q6_K; attn_v and ffn_down
 * Q6_K on the layers use_more_bits picks (the first and last eighth and every third in between); and any type
 * whose block does not divide a row falls back (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, then F16).
 */
import { ggmlType, type GgmlTypeName } from "../quant/ggml-type.js";
import type { LlamaFileType } from "./gguf-model-metadata.js";

export const QUANT_MIXES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K_M", "Q5_K_M", "Q6_K"] as const;
export type QuantMix = (typeof QUANT_MIXES)[number] & LlamaFileType;

const DEFAULT_TYPE: Readonly<Record<QuantMix, GgmlTypeName>> = {
  F32: "F32", F16: "F16", BF16: "BF16", Q8_0: "Q8_0", Q4_0: "Q4_0", Q4_1: "Q4_1", Q5_0: "Q5_0", Q5_1: "Q5_1",
  Q4_K_M: "Q4_K", Q5_K_M: "Q5_K", Q6_K: "Q6_K",
};

export function isQuantMix(s: string): s is QuantMix {
  return (QUANT_MIXES as readonly string[]).includes(s);
}

export interface PlannedTensor {
  /** GGUF name. */
  readonly name: string;
  /** PyTorch-order shape; shape[last] is ggml's ne[0] (the row length). */
  readonly shape: readonly number[];
}

export interface PlanContext {
  readonly numLayers: number;
  /** llama.cpp's hparams.n_expert (0 for dense models). */
  readonly numExperts: number;
}

/** llama.cpp's converter keeps these float32 whatever --outtype says. */
export function convertKeepsF32(t: PlannedTensor): boolean {
  return t.shape.length <= 1 || t.name.endsWith("_norm.weight") || !t.name.endsWith(".weight") || /\.ffn_gate_inp\.weight$/.test(t.name);
}

/** tensor_allows_quantization for the Gemma tensors. */
export function quantizeAllows(t: PlannedTensor): boolean {
  return t.shape.length >= 2 && t.name.endsWith("weight") && !t.name.includes("_norm.weight") && !t.name.includes("ffn_gate_inp.weight")
    && !t.name.includes("per_layer_model_proj");
}

type Category = "output" | "token_embd" | "attn_v" | "attn_k" | "attn_q" | "attn_output" | "ffn_up" | "ffn_gate" | "ffn_down" | "other";

function categoryOf(name: string): Category {
  if (name === "output.weight") return "output";
  if (name === "token_embd.weight" || name === "per_layer_token_embd.weight") return "token_embd";
  if (name.includes("attn_v.weight")) return "attn_v";
  if (name.includes("attn_k.weight")) return "attn_k";
  if (name.includes("attn_q.weight")) return "attn_q";
  if (name.includes("attn_output.weight")) return "attn_output";
  if (name.includes("ffn_up")) return "ffn_up";
  if (name.includes("ffn_gate")) return "ffn_gate";
  if (name.includes("ffn_down")) return "ffn_down";
  return "other";
}

const useMoreBits = (i: number, n: number): boolean => i < Math.trunc(n / 8) || i >= Math.trunc((7 * n) / 8) || (i - Math.trunc(n / 8)) % 3 === 2;

/**
 * The target type of every tensor for `mix`, given `current` (the type each tensor has before quantization:
 * what the converter would write at F32, or what an input GGUF holds). Tensors llama-quantize may not touch
 * keep `current`. Order matters (llama-quantize counts attn_v and ffn_down tensors as it meets them).
 */
export function planTypes(tensors: readonly PlannedTensor[], current: readonly GgmlTypeName[], mix: QuantMix, ctx: PlanContext): GgmlTypeName[] {
  const defaultType = DEFAULT_TYPE[mix];
  const quantized = !(defaultType === "F32" || defaultType === "F16" || defaultType === "BF16");
  const tied = !tensors.some((t) => t.name === "output.weight");
  const numAttnV = tensors.filter((t) => categoryOf(t.name) === "attn_v").length;
  let iAttnV = 0;
  let iFfnDown = 0;
  return tensors.map((t, index) => {
    if (!quantizeAllows(t)) return current[index]!;
    if (!quantized) return defaultType;
    const category = categoryOf(t.name);
    const rowLength = t.shape[t.shape.length - 1]!;
    let type: GgmlTypeName = defaultType;
    if (category === "output" || (tied && category === "token_embd")) {
      if (rowLength % ggmlType(type).blockElems !== 0) type = "Q8_0";
      else if (type !== "Q8_0") type = "Q6_K";
    } else if (category === "attn_v") {
      if ((mix === "Q4_K_M" || mix === "Q5_K_M") && useMoreBits(iAttnV, numAttnV)) type = "Q6_K";
      if (ctx.numExperts === 8) type = "Q8_0";
      iAttnV++;
    } else if (category === "attn_k") {
      if (ctx.numExperts === 8) type = "Q8_0";
    } else if (category === "ffn_down") {
      let layer = iFfnDown;
      if (ctx.numExperts > 1) {
        const m = /^blk\.(\d+)\./.exec(t.name);
        if (!m) throw new Error(`cannot tell the layer of ${t.name}`);
        layer = Number(m[1]);
      }
      if ((mix === "Q4_K_M" || mix === "Q5_K_M") && useMoreBits(layer, ctx.numLayers)) type = "Q6_K";
      iFfnDown++;
    } else if (category === "attn_output") {
      if (ctx.numExperts === 8 && mix === "Q4_K_M") type = "Q5_K";
    }
    return fallback(type, rowLength);
  });
}

/** tensor_type_fallback: a type whose block does not divide the row falls back to a 32-block type, then F16. */
function fallback(type: GgmlTypeName, rowLength: number): GgmlTypeName {
  if (rowLength % ggmlType(type).blockElems === 0) return type;
  const next: GgmlTypeName = type === "Q4_K" ? "Q5_0" : type === "Q5_K" ? "Q5_1" : type === "Q6_K" ? "Q8_0" : type;
  return rowLength % ggmlType(next).blockElems === 0 ? next : "F16";
}
