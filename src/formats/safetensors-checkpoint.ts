/**
 * A Hugging Face checkpoint as one tensor namespace: `model.safetensors`, or the shards named by
 * `model.safetensors.index.json`. Shards are opened once and tensors read on demand.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join, resolve, sep } from "node:path";
import { BadFileError, BadPathError } from "../errors.js";
import { SafetensorsFile, type StoredTensor, type TensorInfo } from "./safetensors.js";
import type { TensorSource } from "./tensor-source.js";

export const SAFETENSORS_INDEX = "model.safetensors.index.json";
export const SAFETENSORS_SINGLE = "model.safetensors";

export class SafetensorsCheckpoint implements TensorSource {
  private constructor(
    readonly dir: string,
    private readonly files: readonly SafetensorsFile[],
    private readonly owner: ReadonlyMap<string, SafetensorsFile>,
  ) {}

  /** Opens the checkpoint in `dir`: the shards its index names, else model.safetensors (as transformers does). */
  static open(dir: string): SafetensorsCheckpoint {
    const indexPath = join(dir, SAFETENSORS_INDEX);
    const shardNames = existsSync(indexPath) ? shardsFromIndex(dir, indexPath) : singleFile(dir);
    const files: SafetensorsFile[] = [];
    const owner = new Map<string, SafetensorsFile>();
    try {
      for (const name of shardNames.files) {
        const file = SafetensorsFile.open(join(dir, name));
        files.push(file);
        for (const tensor of file.tensors.keys()) {
          const previous = owner.get(tensor);
          if (previous) throw new BadFileError(file.path, `tensor ${JSON.stringify(tensor)} is also in ${basename(previous.path)}`);
          owner.set(tensor, file);
        }
      }
      if (shardNames.weightMap) {
        for (const [tensor, shard] of shardNames.weightMap) {
          const file = owner.get(tensor);
          if (!file) throw new BadFileError(indexPath, `tensor ${JSON.stringify(tensor)} is mapped to ${shard} but that file does not contain it`);
          if (resolve(file.path) !== resolve(dir, shard)) throw new BadFileError(indexPath, `tensor ${JSON.stringify(tensor)} is mapped to ${shard} but found in ${basename(file.path)}`);
        }
      }
    } catch (e) {
      for (const f of files) f.close();
      throw e;
    }
    return new SafetensorsCheckpoint(dir, files, owner);
  }

  get tensorNames(): string[] {
    return [...this.owner.keys()];
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  info(name: string): TensorInfo {
    const file = this.owner.get(name);
    if (!file) throw new BadFileError(this.dir, `checkpoint has no tensor ${JSON.stringify(name)}`);
    return file.info(name);
  }

  read(name: string): StoredTensor {
    const file = this.owner.get(name);
    if (!file) throw new BadFileError(this.dir, `checkpoint has no tensor ${JSON.stringify(name)}`);
    return file.read(name);
  }

  readRows(name: string, start: number, count: number): StoredTensor {
    return this.fileOf(name).readRows(name, start, count);
  }

  /** The file that holds `name`. */
  fileOf(name: string): SafetensorsFile {
    const file = this.owner.get(name);
    if (!file) throw new BadFileError(this.dir, `checkpoint has no tensor ${JSON.stringify(name)}`);
    return file;
  }

  pathOf(name: string): string {
    return this.fileOf(name).path;
  }

  get fileBytes(): number {
    return this.files.reduce((sum, f) => sum + statSync(f.path).size, 0);
  }

  get filePaths(): string[] {
    return this.files.map((f) => f.path);
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}

function singleFile(dir: string): { files: string[]; weightMap: null } {
  if (existsSync(join(dir, SAFETENSORS_SINGLE))) return { files: [SAFETENSORS_SINGLE], weightMap: null };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new BadPathError(dir, `cannot read model folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  const others = names.filter((n) => n.endsWith(".safetensors"));
  throw new BadPathError(dir, `no ${SAFETENSORS_SINGLE} or ${SAFETENSORS_INDEX} in this folder${others.length ? ` (found ${others.slice(0, 3).join(", ")})` : ""}`);
}

function shardsFromIndex(dir: string, indexPath: string): { files: string[]; weightMap: Map<string, string> } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(indexPath, "utf8"));
  } catch (e) {
    throw new BadFileError(indexPath, `not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) throw new BadFileError(indexPath, "has no weight_map object");
  const map = new Map<string, string>();
  const root = resolve(dir);
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== "string" || shard.length === 0) throw new BadFileError(indexPath, `weight_map[${JSON.stringify(tensor)}] is not a file name`);
    // A shard name must stay inside the model folder: no absolute paths, no "..".
    const full = resolve(root, shard);
    if (!full.startsWith(root + sep)) throw new BadFileError(indexPath, `shard ${JSON.stringify(shard)} points outside the model folder`);
    map.set(tensor, shard);
  }
  const files = [...new Set(map.values())].sort();
  for (const f of files) {
    if (!existsSync(join(dir, f))) throw new BadFileError(indexPath, `names shard ${f}, which is missing from ${dir}`);
  }
  return { files, weightMap: map };
}
