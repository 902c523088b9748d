/**
 * What the Hugging Face cache holds: every models--org--name folder, its snapshots (commits), the refs
 * pointing at them and the bytes its blobs take. Tolerant of what interrupted or foreign tools leave
 * behind (a ref to a snapshot that was never made, a dangling link, partial `.incomplete` blobs), since
 * `gemma4 list` must work on any real cache.
 */
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { RepoCachePaths, readCachedRef, repoIdFromFolderName } from "./hub-cache-layout.js";
import { COMMIT_HASH } from "./hub-model-reference.js";
import { listSnapshotFiles } from "./snapshot-files.js";

export interface CachedFile {
  readonly path: string;
  /** The blob the snapshot entry links to (undefined when the entry is a plain file, as on Windows). */
  readonly blobName: string | undefined;
  /** Size of the contents; undefined when the link is dangling. */
  readonly sizeBytes: number | undefined;
}

export interface CachedRevision {
  readonly commit: string;
  /** Branches/tags whose ref points at this commit (`main`, `refs/pr/1`). */
  readonly refs: readonly string[];
  readonly snapshotDir: string;
  readonly files: readonly CachedFile[];
  /** Sum of this snapshot's distinct contents. */
  readonly sizeBytes: number;
}

export interface CachedModel {
  readonly repoId: string;
  readonly repoDir: string;
  readonly revisions: readonly CachedRevision[];
  /** Everything in blobs/ (partial downloads included) plus plain files in snapshots. */
  readonly sizeOnDiskBytes: number;
  /** Bytes in `.incomplete` files (interrupted downloads that a pull resumes). */
  readonly incompleteBytes: number;
  /** Refs whose snapshot folder does not exist (a pull that never got a file). */
  readonly danglingRefs: readonly string[];
}

async function listRefs(refsDir: string, prefix = ""): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(refsDir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const name = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listRefs(refsDir, name)));
    else if (e.isFile() && !e.name.endsWith(".tmp")) out.push(name);
  }
  return out;
}

async function scanFile(paths: RepoCachePaths, commit: string, repoPath: string): Promise<CachedFile & { plain: boolean }> {
  const pointer = paths.pointer(commit, repoPath);
  const info = await lstat(pointer);
  if (!info.isSymbolicLink()) return { path: repoPath, blobName: undefined, sizeBytes: info.size, plain: true };
  const target = resolve(dirname(pointer), await readlink(pointer));
  const blobName = dirname(target) === resolve(paths.blobsDir) ? target.slice(resolve(paths.blobsDir).length + 1) : undefined;
  const sizeBytes = await stat(pointer).then((s) => s.size, () => undefined);
  return { path: repoPath, blobName, sizeBytes, plain: false };
}

export async function scanCachedModel(cacheDir: string, repoId: string): Promise<CachedModel | undefined> {
  const paths = new RepoCachePaths(cacheDir, repoId);
  const repoInfo = await stat(paths.repoDir).catch(() => undefined);
  if (repoInfo === undefined || !repoInfo.isDirectory()) return undefined;

  const refsByCommit = new Map<string, string[]>();
  const danglingRefs: string[] = [];
  for (const ref of await listRefs(paths.refsDir)) {
    const commit = await readCachedRef(paths, ref).catch(() => undefined);
    if (commit === undefined) continue;
    refsByCommit.set(commit, [...(refsByCommit.get(commit) ?? []), ref]);
  }

  const commits = (await readdir(paths.snapshotsDir).catch(() => [] as string[])).filter((c) => COMMIT_HASH.test(c));
  const revisions: CachedRevision[] = [];
  let plainBytes = 0;
  for (const commit of commits.sort()) {
    const files: CachedFile[] = [];
    const seen = new Set<string>();
    let sizeBytes = 0;
    for (const repoPath of await listSnapshotFiles(paths.snapshot(commit))) {
      const file = await scanFile(paths, commit, repoPath).catch(() => undefined);
      if (file === undefined) continue;
      files.push({ path: file.path, blobName: file.blobName, sizeBytes: file.sizeBytes });
      if (file.plain) plainBytes += file.sizeBytes ?? 0;
      const key = file.blobName ?? `plain:${repoPath}`;
      if (!seen.has(key)) { seen.add(key); sizeBytes += file.sizeBytes ?? 0; }
    }
    revisions.push({ commit, refs: (refsByCommit.get(commit) ?? []).sort(), snapshotDir: paths.snapshot(commit), files, sizeBytes });
  }
  for (const [commit, refs] of refsByCommit) if (!commits.includes(commit)) danglingRefs.push(...refs);

  let blobBytes = 0;
  let incompleteBytes = 0;
  for (const name of await readdir(paths.blobsDir).catch(() => [] as string[])) {
    const size = await stat(join(paths.blobsDir, name)).then((s) => (s.isFile() ? s.size : 0), () => 0);
    blobBytes += size;
    if (name.endsWith(".incomplete")) incompleteBytes += size;
  }
  return { repoId, repoDir: paths.repoDir, revisions, sizeOnDiskBytes: blobBytes + plainBytes, incompleteBytes, danglingRefs: danglingRefs.sort() };
}

/** Every cached model, sorted by repo id. A missing cache folder is an empty cache. */
export async function scanHubCache(cacheDir: string): Promise<CachedModel[]> {
  const folders = await readdir(cacheDir).catch(() => [] as string[]);
  const models: CachedModel[] = [];
  for (const folder of folders.sort()) {
    const repoId = repoIdFromFolderName(folder);
    if (repoId === undefined) continue;
    const model = await scanCachedModel(cacheDir, repoId);
    if (model !== undefined) models.push(model);
  }
  return models.sort((a, b) => a.repoId.localeCompare(b.repoId));
}
