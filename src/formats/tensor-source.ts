/**
 * A checkpoint seen as named tensors in Hugging Face naming, whatever the file format behind it
 * (safetensors folders, GGUF files). Model loading reads through this interface only.
 */
import type { StoredTensor, TensorInfo } from "./safetensors.js";

export interface TensorSource {
  /** The folder or file the tensors come from, for messages. */
  readonly dir: string;
  readonly tensorNames: readonly string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** Reads one tensor into fresh memory. */
  read(name: string): StoredTensor;
  /** Rows [start, start + count) of a tensor (along its first dimension) into fresh memory: how tables too
   *  large for one array are loaded (file-backed sources; others are read whole and sliced). */
  readRows?(name: string, start: number, count: number): StoredTensor;
  /** The file holding `name`, for error messages. */
  pathOf(name: string): string;
  /** Bytes of all files behind this source. */
  readonly fileBytes: number;
  close(): void;
}
