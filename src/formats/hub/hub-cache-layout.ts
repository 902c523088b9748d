/**
 * The on-disk layout of the Hugging Face cache, exactly as Python's huggingface_hub writes it
 * (file_download.py: repo_folder_name, _create_symlink, _cache_commit_hash_for_specific_revision), so
 * that files pulled here are used by transformers without a second download and vice versa:
 *
 *   <cache>/models--org--name/
 *     blobs/<etag>                 file contents, named by the Hub's ETag: the sha256 for LFS files,
 *                                  the git blob sha1 for the others
 *     blobs/<etag>.incomplete      a download in progress (ours resume from it)
 *     refs/<revision>              the commit hash a branch/tag pointed to when last fetched (no newline)
 *     snapshots/<commit>/<path>    relative symlinks to ../../blobs/<etag> (one more ../ per subfolder)
 *   <cache>/.locks/models--org--name/   lock files (Python's are <etag>.lock; ours <etag>.gemma4.lock)
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { BadFileError, BadPathError } from "../../errors.js";
import { COMMIT_HASH } from "./hub-model-reference.js";

const REPO_ID_SEPARATOR = "--";

/** `google/gemma-4-E2B-it` → `models--google--gemma-4-E2B-it`. */
export function repoFolderName(repoId: string): string {
  return ["models", ...repoId.split("/")].join(REPO_ID_SEPARATOR);
}

/** `models--google--gemma-4-E2B-it` → `google/gemma-4-E2B-it`; undefined for other folders. */
export function repoIdFromFolderName(folder: string): string | undefined {
  if (!folder.startsWith(`models${REPO_ID_SEPARATOR}`)) return undefined;
  const parts = folder.split(REPO_ID_SEPARATOR).slice(1);
  return parts.length >= 2 ? parts.join("/") : undefined;
}

/** Paths of one repo in one cache. */
export class RepoCachePaths {
  readonly repoDir: string;
  constructor(readonly cacheDir: string, readonly repoId: string) {
    this.repoDir = join(cacheDir, repoFolderName(repoId));
  }
  get blobsDir(): string { return join(this.repoDir, "blobs"); }
  get refsDir(): string { return join(this.repoDir, "refs"); }
  get snapshotsDir(): string { return join(this.repoDir, "snapshots"); }
  get locksDir(): string { return join(this.cacheDir, ".locks", repoFolderName(this.repoId)); }
  blob(etag: string): string { return join(this.blobsDir, etag); }
  incompleteBlob(etag: string): string { return `${this.blob(etag)}.incomplete`; }
  ref(revision: string): string { return join(this.refsDir, ...revision.split("/")); }
  snapshot(commit: string): string { return join(this.snapshotsDir, commit); }
  /** The snapshot entry for a repo file (`sub/x.json` → snapshots/<commit>/sub/x.json). */
  pointer(commit: string, repoPath: string): string { return join(this.snapshot(commit), ...repoPath.split("/")); }
  lock(etag: string): string { return join(this.locksDir, `${etag}.gemma4.lock`); }
}

/** HTTP ETags arrive quoted (`"abc"`) and may be weak (`W/"abc"`); the blob name is the bare value. */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/** A name we can use as a single path segment (a hostile ETag must not walk out of blobs/). */
export function isSafeBlobName(etag: string): boolean {
  return /^[A-Za-z0-9._-]{1,200}$/.test(etag) && etag !== "." && etag !== ".." && !etag.endsWith(".incomplete");
}

/**
 * A repo path from the Hub must stay inside the snapshot: relative, `/`-separated, no `.`/`..`/empty
 * segments, no backslashes or NULs.
 */
export function isSafeRepoPath(repoPath: string): boolean {
  if (repoPath === "" || repoPath.startsWith("/") || repoPath.includes("\\") || repoPath.includes("\0")) return false;
  return repoPath.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

/** The commit a ref points to in the cache, or undefined (a commit hash resolves to itself). */
export async function readCachedRef(paths: RepoCachePaths, revision: string): Promise<string | undefined> {
  if (COMMIT_HASH.test(revision)) return revision;
  let text: string;
  try {
    text = await readFile(paths.ref(revision), "utf8");
  } catch {
    return undefined;
  }
  const commit = text.trim();
  if (!COMMIT_HASH.test(commit)) throw new BadFileError(paths.ref(revision), `expected a 40-hex commit hash, found ${JSON.stringify(commit.slice(0, 60))}`);
  return commit;
}

/** Writes refs/<revision> (as Python: bare hash, no newline) by temp file + rename. No-op for commit hashes. */
export async function writeCachedRef(paths: RepoCachePaths, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const target = paths.ref(revision);
  try {
    if ((await readFile(target, "utf8")) === commit) return; // unchanged: don't touch a read-only cache
  } catch { /* not there yet */ }
  await mkdir(dirname(target), { recursive: true });
  const temp = `${target}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, commit);
  await rename(temp, target);
}

/**
 * Points snapshots/<commit>/<path> at blobs/<etag> with a relative symlink (as Python's _create_symlink:
 * os.path.relpath from the link's folder), created under a temporary name and renamed into place so the
 * final name never refers to anything but a complete blob.
 */
export async function linkSnapshotFile(paths: RepoCachePaths, commit: string, repoPath: string, etag: string): Promise<string> {
  const pointer = paths.pointer(commit, repoPath);
  const target = relative(dirname(pointer), paths.blob(etag));
  try {
    if ((await readlink(pointer)) === target) return pointer;
  } catch { /* missing or not a link */ }
  await mkdir(dirname(pointer), { recursive: true });
  const temp = `${pointer}.${randomBytes(4).toString("hex")}.tmp`;
  await symlink(target, temp);
  try {
    await rename(temp, pointer);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  return pointer;
}

/** True when `path` exists (following symlinks: a dangling pointer does not count). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** True when `inner` is `outer` or lies below it (both absolute). */
export function isInside(outer: string, inner: string): boolean {
  const rel = relative(resolve(outer), resolve(inner));
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
}

/** A failed write into the cache as one line naming the path (full disk, read-only cache, no permission). */
export function cacheWriteError(path: string, e: unknown): BadPathError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Readonly<Record<string, string>> = {
    ENOSPC: "no space left on the device (free some, or point HF_HUB_CACHE at a larger disk; the partial download is kept and resumes)",
    EDQUOT: "disk quota exceeded (the partial download is kept and resumes)",
    EACCES: "permission denied (set HF_HUB_CACHE to a folder you can write)",
    EPERM: "operation not permitted (set HF_HUB_CACHE to a folder you can write)",
    EROFS: "read-only file system (set HF_HUB_CACHE to a writable folder)",
    ENOTDIR: "a path component is a file, not a folder",
    EISDIR: "expected a file, found a folder",
  };
  const reason = code !== undefined ? reasons[code] : undefined;
  return reason !== undefined ? new BadPathError(path, reason, { cause: e }) : undefined;
}
