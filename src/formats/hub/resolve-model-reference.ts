/**
 * Turns what a user typed for MODEL into a local path that the loaders read:
 *
 *   ./my-model, /models/gemma, ~/m      a folder (an existing folder always wins, even `org/name`)
 *   model.Q4_K_M.gguf                   a GGUF file, as is
 *   google/gemma-4-E2B-it[@rev]         a Hub model: its snapshot folder in the Hugging Face cache
 *   hf:google/gemma-4-E2B-it[@rev]      the same, never taken for a folder
 *
 * A Hub model comes from the cache without touching the network; `download: true` pulls it when it is
 * missing (or when HF_HUB_OFFLINE is set, says clearly that it cannot).
 */
import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { BadPathError, BadRequestError } from "../../errors.js";
import { RepoCachePaths, pathExists, readCachedRef } from "./hub-cache-layout.js";
import { formatHubReference, isHubReferenceSyntax, parseHubReference } from "./hub-model-reference.js";
import { readHubSettings } from "./hub-settings.js";
import { pullModel, type PullOptions } from "./pull-model.js";
import { listSnapshotFiles } from "./snapshot-files.js";

export interface ResolveModelOptions extends PullOptions {
  /** Pull a Hub model that is not in the cache yet (default false: say how to pull it). */
  readonly download?: boolean;
  /** Folder that relative paths are relative to (default process.cwd()). */
  readonly cwd?: string;
}

function expandHome(path: string): string {
  return path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

/** The cached snapshot folder of a Hub model, or undefined when the cache has no files for it. */
export async function findCachedSnapshot(reference: string, options: Pick<PullOptions, "cacheDir" | "env"> = {}): Promise<string | undefined> {
  const ref = parseHubReference(reference);
  const settings = readHubSettings({ ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}), ...(options.env !== undefined ? { env: options.env } : {}) });
  const paths = new RepoCachePaths(settings.cacheDir, ref.repoId);
  const commit = await readCachedRef(paths, ref.revision);
  if (commit === undefined || !(await pathExists(paths.snapshot(commit)))) return undefined;
  return (await listSnapshotFiles(paths.snapshot(commit))).length > 0 ? paths.snapshot(commit) : undefined;
}

export async function resolveModelReference(reference: string, options: ResolveModelOptions = {}): Promise<string> {
  const text = reference.trim();
  if (text === "") throw new BadRequestError("the model reference is empty (give a folder, a .gguf file or org/name)", "model");
  const explicitHub = /^hf:/.test(text);
  if (!explicitHub) {
    const local = resolve(options.cwd ?? process.cwd(), expandHome(text));
    const info = await stat(local).catch(() => undefined);
    if (info?.isDirectory() === true) return local;
    if (info?.isFile() === true) {
      if (/\.gguf$/i.test(local)) return local;
      throw new BadPathError(local, "is a file; a model is a folder (config.json + weights), a .gguf file, or a Hub model org/name");
    }
    if (/\.gguf$/i.test(text)) throw new BadPathError(local, "no such file");
    if (!isHubReferenceSyntax(text)) throw new BadPathError(local, "no such folder (a Hub model is written org/name or hf:org/name)");
  }
  const ref = parseHubReference(text);
  const cached = await findCachedSnapshot(text, options);
  if (cached !== undefined) return cached;
  if (options.download === true) return (await pullModel(ref, options)).snapshotDir;
  const name = formatHubReference(ref);
  const cacheDir = readHubSettings(options).cacheDir;
  throw new BadPathError(text, `${explicitHub ? "" : "no such folder, and "}not in the Hugging Face cache (${cacheDir}); run \`gemma4 pull ${name}\` first`);
}
