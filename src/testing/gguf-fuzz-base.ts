/** The valid GGUF that fuzzing mutates, and the "open and read everything" check applied to each mutant. */
import { readFileSync } from "node:fs";
import { GgufFile } from "../formats/gguf/gguf-file.js";
import { gguf } from "../formats/gguf/gguf-value.js";
import { writeGguf } from "../formats/gguf/gguf-writer.js";
import { quantizeRow } from "../formats/quant/quantize-row.js";

/** Writes a small but complete GGUF (every metadata kind, a few tensor types) to `path`; returns its bytes. */
export function fuzzBaseGguf(path: string): Uint8Array {
  const values = Float32Array.from({ length: 256 }, (_, i) => Math.cos(i));
  writeGguf(path, {
    metadata: [
      ["general.architecture", gguf.string("gemma")],
      ["gemma.block_count", gguf.u32(1)],
      ["tokenizer.ggml.tokens", gguf.strings(["a", "b", "<0x00>"])],
      ["tokenizer.ggml.scores", gguf.f32s(Float32Array.of(0, -1, -2))],
      ["tokenizer.ggml.token_type", gguf.i32s(Int32Array.of(1, 1, 6))],
      ["flags", gguf.bools([true])],
      ["general.alignment", gguf.u32(32)],
    ],
    tensors: [
      { name: "token_embd.weight", type: "F16", shape: [2, 8], data: quantizeRow("F16", values.subarray(0, 16)) },
      { name: "blk.0.attn_q.weight", type: "Q4_K", shape: [1, 256], data: quantizeRow("Q4_K", values) },
      { name: "output_norm.weight", type: "F32", shape: [8], data: new Uint8Array(32) },
    ],
  });
  return readFileSync(path);
}

export function openAndReadAllGguf(path: string): void {
  const file = GgufFile.open(path);
  try {
    for (const name of file.tensors.keys()) file.readTensorBytes(name);
  } finally {
    file.close();
  }
}
