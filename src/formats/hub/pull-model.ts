/**
 * `pullModel("google/gemma-4-E2B-it@main")`: makes the Hugging Face cache hold the files a model needs
 * at one revision, the way huggingface_hub's snapshot_download does, and returns the snapshot folder.
 *
 * 1. Ask the Hub what the revision is (commit + file list with sizes and sha256s).
 * 2. Keep the files the include/exclude patterns select; those already linked in snapshots/<commit>/ cost
 *    nothing more (a re-pull is one API call).
 * 3. For each missing file: HEAD for its blob name, reuse the blob if another revision already has it,
 *    else download (resumable, verified, atomic; a few files at a time), then link it into the snapshot.
 * 4. Only when every file is in place does refs/<revision> move to the new commit, so a failed pull never
 *    makes a reference resolve to a half-filled snapshot.
 *
 * Offline (HF_HUB_OFFLINE=1 or `offline: true`) nothing is fetched: the cached snapshot for the revision
 * is returned, or a clear error says it is missing.
 */
import { mkdir, rmdir, stat, statfs } from "node:fs/promises";
import { BadPathError, BadRequestError, CancelledError } from "../../errors.js";
import { DEFAULT_RETRY_POLICY, downloadBlob, type RetryPolicy } from "./blob-download.js";
import { withDownloadLock } from "./download-lock.js";
import { DEFAULT_INCLUDE_PATTERNS, filePatternFilter } from "./file-patterns.js";
import { RepoCachePaths, cacheWriteError, linkSnapshotFile, pathExists, readCachedRef, writeCachedRef } from "./hub-cache-layout.js";
import { fetchFileMetadata } from "./hub-file-metadata.js";
import { formatHubReference, parseHubReference, type HubModelReference } from "./hub-model-reference.js";
import { fetchRepoInfo, type HubRepoFile } from "./hub-repo-info.js";
import { readHubSettings, type HubSettingsOptions } from "./hub-settings.js";
import { listSnapshotFiles } from "./snapshot-files.js";

export interface PullProgress {
  readonly repoId: string;
  readonly commit: string;
  /** Files selected by the patterns, and how many of them are in place. */
  readonly totalFiles: number;
  readonly doneFiles: number;
  /** Bytes of the files that were missing when the pull began, and how many of them are on disk now. */
  readonly totalBytes: number;
  readonly doneBytes: number;
  /** Of doneBytes, those an earlier interrupted pull had left (not transferred now: leave out of rates). */
  readonly resumedBytes: number;
  readonly activeFiles: readonly string[];
}

export interface PullOptions extends HubSettingsOptions {
  /** fnmatch patterns of repo files to fetch (default DEFAULT_INCLUDE_PATTERNS: what a text model needs). */
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly onProgress?: (progress: PullProgress) => void;
  /** Occasional one-line notes (waiting for another process's download of the same file). */
  readonly onNotice?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Files downloaded at once (default 4). */
  readonly concurrency?: number;
  readonly retry?: Partial<RetryPolicy>;
}

export interface PulledFile {
  readonly path: string;
  /** snapshots/<commit>/<path>, a symlink to the blob. */
  readonly localPath: string;
  /** True when this pull transferred (some of) its bytes. */
  readonly downloaded: boolean;
}

export interface PullResult {
  readonly repoId: string;
  readonly revision: string;
  readonly commit: string;
  readonly snapshotDir: string;
  readonly files: readonly PulledFile[];
  /** Bytes transferred by this pull (resumed prefixes not counted). */
  readonly downloadedBytes: number;
  /** True when answered from the cache alone (offline mode). */
  readonly offline: boolean;
}

export async function pullModel(reference: string | HubModelReference, options: PullOptions = {}): Promise<PullResult> {
  const ref = typeof reference === "string" ? parseHubReference(reference) : reference;
  const settings = readHubSettings(options);
  const paths = new RepoCachePaths(settings.cacheDir, ref.repoId);
  const selects = filePatternFilter({ include: options.include ?? DEFAULT_INCLUDE_PATTERNS, exclude: options.exclude ?? [] });
  if (settings.offline) return pullFromCache(ref, paths, selects);

  const info = await fetchRepoInfo(settings, ref, options.signal);
  const selected = info.files.filter((f) => selects(f.path));
  if (selected.length === 0) {
    const some = info.files.slice(0, 8).map((f) => f.path).join(", ");
    throw new BadRequestError(`no file of ${formatHubReference(ref)} matches the include patterns (${(options.include ?? DEFAULT_INCLUDE_PATTERNS).join(" ")}); it has: ${some}${info.files.length > 8 ? ", …" : ""}`, "include");
  }
  const commit = info.commit;
  const snapshotDir = paths.snapshot(commit);
  try {
    await mkdir(paths.blobsDir, { recursive: true });
    await mkdir(snapshotDir, { recursive: true });
  } catch (e) {
    throw cacheWriteError(paths.repoDir, e) ?? e;
  }

  const missing: HubRepoFile[] = [];
  for (const file of selected) if (!(await pathExists(paths.pointer(commit, file.path)))) missing.push(file);
  const totalBytes = missing.reduce((sum, f) => sum + (f.sizeBytes ?? 0), 0);
  await checkFreeSpace(paths.blobsDir, totalBytes);

  const fileBytes = new Map<string, number>();
  const resumed = new Map<string, number>();
  const active = new Set<string>();
  let doneFiles = selected.length - missing.length;
  const report = (): void => {
    let doneBytes = 0;
    for (const b of fileBytes.values()) doneBytes += b;
    let resumedBytes = 0;
    for (const b of resumed.values()) resumedBytes += b;
    options.onProgress?.({ repoId: ref.repoId, commit, totalFiles: selected.length, doneFiles, totalBytes, doneBytes, resumedBytes, activeFiles: [...active] });
  };
  report();

  const downloaded = new Set<string>();
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  try {
    await runPool(missing, options.concurrency ?? 4, options.signal, (file, signal) => pullFile(file, signal));
  } catch (e) {
    await rmdir(snapshotDir).catch(() => undefined); // only if still empty: `list` should not show a revision with no files
    throw e;
  }
  async function pullFile(file: HubRepoFile, signal: AbortSignal): Promise<void> {
    active.add(file.path);
    report();
    const context = { endpoint: settings.endpoint, repoId: ref.repoId, revision: commit, path: file.path, hadToken: settings.token !== undefined };
    const meta = await fetchFileMetadata(settings, context, signal);
    const sizeBytes = meta.sizeBytes ?? file.sizeBytes;
    const blobPath = paths.blob(meta.etag);
    if (!(await pathExists(blobPath))) {
      await withDownloadLock(paths.lock(meta.etag), async () => {
        if (await pathExists(blobPath)) return; // another process finished it while we waited
        const incompletePath = paths.incompleteBlob(meta.etag);
        resumed.set(file.path, Math.min(await sizeOnDisk(incompletePath), sizeBytes ?? Infinity));
        downloaded.add(file.path);
        await downloadBlob({
          settings, context, incompletePath, blobPath, sizeBytes, retry,
          sha256: file.lfsSha256 ?? (/^[0-9a-f]{64}$/.test(meta.etag) ? meta.etag : undefined),
          gitSha1: file.lfsSha256 === undefined && !meta.linked && file.blobId === meta.etag ? meta.etag : undefined,
          onProgress: (bytes) => { fileBytes.set(file.path, bytes); report(); },
          signal,
        });
      }, { signal, onWait: (holder) => options.onNotice?.(`waiting for another download of ${file.path} (process ${holder})`) });
    }
    try {
      await linkSnapshotFile(paths, commit, file.path, meta.etag);
    } catch (e) {
      throw cacheWriteError(paths.pointer(commit, file.path), e) ?? e;
    }
    fileBytes.set(file.path, sizeBytes ?? file.sizeBytes ?? 0);
    active.delete(file.path);
    doneFiles++;
    report();
  }

  try {
    await writeCachedRef(paths, ref.revision, commit);
  } catch (e) {
    throw cacheWriteError(paths.ref(ref.revision), e) ?? e;
  }
  let downloadedBytes = 0;
  for (const path of downloaded) downloadedBytes += (fileBytes.get(path) ?? 0) - (resumed.get(path) ?? 0);
  return {
    repoId: ref.repoId, revision: ref.revision, commit, snapshotDir, offline: false, downloadedBytes,
    files: selected.map((f) => ({ path: f.path, localPath: paths.pointer(commit, f.path), downloaded: downloaded.has(f.path) })),
  };
}

async function sizeOnDisk(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}

async function pullFromCache(ref: HubModelReference, paths: RepoCachePaths, selects: (path: string) => boolean): Promise<PullResult> {
  const name = formatHubReference(ref);
  const commit = await readCachedRef(paths, ref.revision);
  const snapshotDir = commit !== undefined ? paths.snapshot(commit) : undefined;
  if (commit === undefined || snapshotDir === undefined || !(await pathExists(snapshotDir))) {
    throw new BadPathError(paths.repoDir, `${name} is not in the cache and HF_HUB_OFFLINE is set, so it cannot be downloaded; unset HF_HUB_OFFLINE and run \`gemma4 pull ${name}\``);
  }
  const files = (await listSnapshotFiles(snapshotDir)).filter(selects);
  if (files.length === 0) {
    throw new BadPathError(snapshotDir, `no cached file of ${name} matches the include patterns, and HF_HUB_OFFLINE is set, so none can be downloaded`);
  }
  return {
    repoId: ref.repoId, revision: ref.revision, commit, snapshotDir, offline: true, downloadedBytes: 0,
    files: files.map((path) => ({ path, localPath: paths.pointer(commit, path), downloaded: false })),
  };
}

/** Refuses up front when the disk cannot hold what is missing (better than failing at 95 % of 10 GB). */
async function checkFreeSpace(dir: string, neededBytes: number): Promise<void> {
  let freeBytes: number;
  try {
    const s = await statfs(dir);
    freeBytes = Number(s.bavail) * Number(s.bsize);
  } catch {
    return; // not every file system answers; the write itself will say ENOSPC
  }
  if (freeBytes > 0 && neededBytes > freeBytes) {
    throw new BadPathError(dir, `needs ${formatGigabytes(neededBytes)} but only ${formatGigabytes(freeBytes)} is free (point HF_HUB_CACHE at a larger disk)`);
  }
}

function formatGigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/**
 * Runs `work` over `items`, `limit` at a time. The first failure stops the rest (their partial files stay
 * for the next pull to resume) and is the one thrown.
 */
async function runPool<T>(items: readonly T[], limit: number, outer: AbortSignal | undefined, work: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  outer?.addEventListener("abort", onAbort, { once: true });
  let next = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && firstError === undefined && !controller.signal.aborted) {
      const item = items[next++] as T;
      try {
        await work(item, controller.signal);
      } catch (e) {
        if (firstError === undefined && !(e instanceof CancelledError && !outer?.aborted)) firstError = e;
        controller.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  } finally {
    outer?.removeEventListener("abort", onAbort);
  }
  if (firstError !== undefined) throw firstError;
  if (outer?.aborted) throw new CancelledError("download cancelled");
}
