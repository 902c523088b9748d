/**
 * `gemma4 rm org/name[@revision]`: deletes a cached model, or one revision of it, from the Hugging Face
 * cache without breaking anything else there. For one revision: its snapshot folder, the refs that point
 * at it, and the blobs no remaining snapshot links to (huggingface_hub's delete_revisions strategy). When
 * no snapshot remains, or no revision is given, the whole models--org--name folder goes (partial
 * downloads and orphan blobs too). A revision may be a branch/tag, a full commit or a unique prefix of
 * at least 7 hex digits (what `gemma4 list` prints).
 */
import { rm, stat } from "node:fs/promises";
import { BadPathError, BadRequestError } from "../../errors.js";
import { RepoCachePaths } from "./hub-cache-layout.js";
import { scanCachedModel, type CachedModel, type CachedRevision } from "./hub-cache-scan.js";
import { parseHubReference } from "./hub-model-reference.js";
import { readHubSettings, type HubSettingsOptions } from "./hub-settings.js";

export interface RemovalReport {
  readonly repoId: string;
  /** The revisions (commits) removed, with the refs that pointed at them. */
  readonly revisions: readonly { readonly commit: string; readonly refs: readonly string[] }[];
  /** Every path deleted (or, with dryRun, that would be), in deletion order. */
  readonly removedPaths: readonly string[];
  readonly freedBytes: number;
  /** True when the whole models--org--name folder was removed. */
  readonly wholeModel: boolean;
  readonly dryRun: boolean;
}

export interface RemoveOptions extends HubSettingsOptions {
  readonly dryRun?: boolean;
}

function findRevision(model: CachedModel, revision: string): CachedRevision | undefined {
  const byRef = model.revisions.find((r) => r.refs.includes(revision));
  if (byRef !== undefined) return byRef;
  if (!/^[0-9a-f]{7,40}$/.test(revision)) return undefined;
  const matches = model.revisions.filter((r) => r.commit.startsWith(revision));
  if (matches.length > 1) throw new BadRequestError(`commit prefix ${revision} is ambiguous in ${model.repoId} (${matches.map((m) => m.commit.slice(0, 12)).join(", ")})`, "model");
  return matches[0];
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then((s) => (s.isFile() ? s.size : 0), () => 0);
}

export async function removeCachedModel(reference: string, options: RemoveOptions = {}): Promise<RemovalReport> {
  const ref = parseHubReference(reference);
  const explicitRevision = reference.replace(/^hf:(\/\/)?/, "").includes("@");
  const settings = readHubSettings(options);
  const dryRun = options.dryRun ?? false;
  const model = await scanCachedModel(settings.cacheDir, ref.repoId);
  if (model === undefined) throw new BadPathError(new RepoCachePaths(settings.cacheDir, ref.repoId).repoDir, `${ref.repoId} is not in the cache (see \`gemma4 list\`)`);
  const paths = new RepoCachePaths(settings.cacheDir, ref.repoId);

  let doomed: CachedRevision[];
  if (explicitRevision) {
    const revision = findRevision(model, ref.revision);
    if (revision === undefined) {
      const known = model.revisions.map((r) => [...r.refs, r.commit.slice(0, 7)].join("/")).join(", ") || "none";
      throw new BadPathError(paths.repoDir, `revision ${JSON.stringify(ref.revision)} of ${ref.repoId} is not in the cache (cached: ${known})`);
    }
    doomed = [revision];
  } else {
    doomed = [...model.revisions];
  }
  const kept = model.revisions.filter((r) => !doomed.includes(r));
  const revisions = doomed.map((r) => ({ commit: r.commit, refs: r.refs }));

  if (kept.length === 0) {
    const removedPaths = [paths.repoDir];
    if (!dryRun) {
      await rm(paths.repoDir, { recursive: true, force: true });
      await rm(paths.locksDir, { recursive: true, force: true });
    }
    return { repoId: ref.repoId, revisions, removedPaths, freedBytes: model.sizeOnDiskBytes, wholeModel: true, dryRun };
  }

  const keptBlobs = new Set(kept.flatMap((r) => r.files.map((f) => f.blobName)).filter((b): b is string => b !== undefined));
  const doomedBlobs = new Set(doomed.flatMap((r) => r.files.map((f) => f.blobName)).filter((b): b is string => b !== undefined && !keptBlobs.has(b)));
  const removedPaths: string[] = [];
  let freedBytes = 0;
  for (const revision of doomed) {
    for (const f of revision.files) if (f.blobName === undefined) freedBytes += f.sizeBytes ?? 0;
    removedPaths.push(revision.snapshotDir, ...revision.refs.map((r) => paths.ref(r)));
  }
  for (const blob of [...doomedBlobs].sort()) {
    freedBytes += await sizeOf(paths.blob(blob));
    removedPaths.push(paths.blob(blob));
  }
  if (!dryRun) for (const path of removedPaths) await rm(path, { recursive: true, force: true });
  return { repoId: ref.repoId, revisions, removedPaths, freedBytes, wholeModel: false, dryRun };
}
