/**
 * Downloads one file into `blobs/<etag>.incomplete`, resuming from whatever a previous try left there
 * (HTTP Range), checks its size and checksum, and only then renames it to `blobs/<etag>`: a blob exists
 * under its final name only when it is complete and verified. A wrong checksum deletes the partial file.
 *
 * Transient failures (a cut connection, a stalled body, 5xx/429) are retried with backoff, each retry
 * asking the Hub again (a fresh CDN URL) and resuming from the bytes already on disk. The running hash
 * survives a retry when the bytes on disk are exactly the bytes hashed, so a resume does not re-read
 * gigabytes; otherwise the prefix is re-hashed from disk.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { BadFileError, CancelledError } from "../../errors.js";
import { abortableSleep } from "./abortable-sleep.js";
import { cacheWriteError } from "./hub-cache-layout.js";
import { hubFetch } from "./hub-fetch.js";
import { resolveUrl } from "./hub-file-metadata.js";
import { HubRequestError, hubErrorFromResponse, hubNetworkError, type HubRequestContext } from "./hub-request-error.js";
import type { HubSettings } from "./hub-settings.js";

export interface RetryPolicy {
  /** Retries after the first try (huggingface_hub resumes up to 5 times). */
  readonly retries: number;
  /** First backoff; doubles each retry, capped at 30 s. */
  readonly baseDelayMs: number;
  /** A body that sends nothing for this long counts as a cut connection. */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 5, baseDelayMs: 1000, idleTimeoutMs: 60_000 };

export interface BlobDownload {
  readonly settings: HubSettings;
  /** `revision` is the commit; `path` the repo file. */
  readonly context: HubRequestContext & { readonly path: string };
  readonly incompletePath: string;
  readonly blobPath: string;
  readonly sizeBytes: number | undefined;
  /** The Hub's sha256 of the contents (LFS files). */
  readonly sha256: string | undefined;
  /** The git blob sha1 (plain git files), checked when the size is known. */
  readonly gitSha1: string | undefined;
  /** Bytes of this file on disk so far (including a resumed prefix). */
  readonly onProgress: (fileBytes: number) => void;
  readonly retry: RetryPolicy;
  readonly signal?: AbortSignal;
}

/** A failure worth another try (the bytes so far stay on disk). */
class TransientError extends Error {
  constructor(readonly error: HubRequestError) {
    super(error.message);
  }
}

/** The hash of the bytes on disk, `bytes` long. */
interface RunningDigest {
  readonly hash: Hash | undefined;
  bytes: number;
}

function newHash(d: BlobDownload): Hash | undefined {
  if (d.sha256 !== undefined) return createHash("sha256");
  if (d.gitSha1 !== undefined && d.sizeBytes !== undefined) return createHash("sha1").update(`blob ${d.sizeBytes}\0`);
  return undefined;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function hashFilePrefix(d: BlobDownload, bytes: number): Promise<RunningDigest> {
  const hash = newHash(d);
  if (hash !== undefined && bytes > 0) {
    for await (const chunk of createReadStream(d.incompletePath, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  }
  return { hash, bytes };
}

function parseContentRangeStart(value: string | null): number | undefined {
  const m = value === null ? null : /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value.trim());
  return m?.[1] !== undefined ? Number(m[1]) : undefined;
}

export async function downloadBlob(d: BlobDownload): Promise<void> {
  let digest: RunningDigest | undefined;
  for (let attempt = 0; ; attempt++) {
    let offset = (await fileSize(d.incompletePath)) ?? 0;
    if (d.sizeBytes !== undefined && offset > d.sizeBytes) {
      await rm(d.incompletePath, { force: true }); // longer than the file can be: not ours to resume
      offset = 0;
    }
    if (digest?.bytes !== offset) digest = undefined;
    if (d.sizeBytes !== undefined && offset === d.sizeBytes) break; // a previous run got every byte
    try {
      digest = await fetchInto(d, offset, digest);
      break;
    } catch (e) {
      if (!(e instanceof TransientError)) throw e;
      if (attempt >= d.retry.retries) {
        const kept = (await fileSize(d.incompletePath)) ?? 0;
        throw new HubRequestError(`${e.message}; ${kept} bytes of ${d.context.path} are kept and the next pull resumes from there`, e.error.status, e.error.url, { cause: e.error });
      }
      await abortableSleep(Math.min(30_000, d.retry.baseDelayMs * 2 ** attempt), d.signal);
    }
  }
  await verifyAndPublish(d, digest);
}

async function verifyAndPublish(d: BlobDownload, digest: RunningDigest | undefined): Promise<void> {
  const what = `${d.context.repoId}@${d.context.revision}/${d.context.path}`;
  const size = (await fileSize(d.incompletePath)) ?? 0;
  if (d.sizeBytes !== undefined && size !== d.sizeBytes) {
    await rm(d.incompletePath, { force: true });
    throw new BadFileError(what, `downloaded ${size} bytes but the Hub says ${d.sizeBytes}; deleted the partial file, run the pull again`);
  }
  const final = digest?.bytes === size ? digest : await hashFilePrefix(d, size);
  if (final.hash !== undefined) {
    const actual = final.hash.digest("hex");
    const expected = d.sha256 ?? d.gitSha1 ?? "";
    if (actual !== expected) {
      await rm(d.incompletePath, { force: true });
      const kind = d.sha256 !== undefined ? "sha256" : "git sha1";
      throw new BadFileError(what, `${kind} mismatch: the Hub says ${expected}, the download has ${actual}; deleted it, run the pull again`);
    }
  }
  try {
    await rename(d.incompletePath, d.blobPath);
  } catch (e) {
    throw cacheWriteError(d.blobPath, e) ?? e;
  }
}

/** One try: GET from `offset`, append to the partial file, return the digest of everything on disk. */
async function fetchInto(d: BlobDownload, offset: number, resumed: RunningDigest | undefined): Promise<RunningDigest> {
  const url = resolveUrl(d.settings.endpoint, d.context.repoId, d.context.revision, d.context.path);
  const hubOrigin = new URL(d.settings.endpoint).origin;
  const controller = new AbortController();
  const onUserAbort = (): void => controller.abort();
  d.signal?.addEventListener("abort", onUserAbort, { once: true });
  let stalled = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdleTimer = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => { stalled = true; controller.abort(); }, d.retry.idleTimeoutMs);
  };
  let handle: FileHandle | undefined;
  let release = (): void => undefined;
  try {
    let response: Response;
    let responseUrl: string;
    try {
      ({ response, url: responseUrl, release } = await hubFetch({
        url, method: "GET", token: d.settings.token, tokenOrigin: hubOrigin, redirects: "all",
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, signal: controller.signal, headersTimeoutMs: d.retry.idleTimeoutMs,
      }));
    } catch (e) {
      if (d.signal?.aborted) throw new CancelledError("download cancelled");
      if (e instanceof HubRequestError) throw new TransientError(e);
      throw e;
    }
    let start = offset;
    if (response.status === 206) {
      if (parseContentRangeStart(response.headers.get("content-range")) !== offset) start = -1;
    } else if (response.status === 200) {
      start = 0; // the server ignored the range: start over
    } else if (response.status === 416 || response.status >= 500 || response.status === 429 || response.status === 408 ||
      (response.status === 403 && new URL(responseUrl).origin !== hubOrigin)) {
      // 416: our partial file does not fit the Hub's; 403 off the Hub: an expired CDN signature.
      await response.body?.cancel();
      if (response.status === 416) await rm(d.incompletePath, { force: true });
      throw new TransientError(hubErrorFromResponse(response.status, response.headers, responseUrl, d.context));
    } else {
      await response.body?.cancel();
      throw hubErrorFromResponse(response.status, response.headers, responseUrl, d.context);
    }
    if (start < 0 || response.body === null) {
      await response.body?.cancel();
      await rm(d.incompletePath, { force: true });
      throw new TransientError(hubNetworkError(responseUrl, new Error("the server answered a different byte range than asked")));
    }
    const digest = start === offset && resumed !== undefined ? resumed : start === 0 ? { hash: newHash(d), bytes: 0 } : await hashFilePrefix(d, start);
    try {
      handle = await open(d.incompletePath, start > 0 ? "a" : "w");
    } catch (e) {
      throw cacheWriteError(d.incompletePath, e) ?? e;
    }
    d.onProgress(start);
    const reader = response.body.getReader();
    armIdleTimer();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (d.signal?.aborted) throw new CancelledError("download cancelled");
        const cause = stalled ? new Error(`no data for ${Math.round(d.retry.idleTimeoutMs / 1000)} s`) : e;
        throw new TransientError(hubNetworkError(responseUrl, cause, "finish downloading from"));
      }
      if (chunk.done) break;
      armIdleTimer();
      if (d.sizeBytes !== undefined && digest.bytes + chunk.value.byteLength > d.sizeBytes) {
        await reader.cancel();
        await handle.close();
        handle = undefined;
        await rm(d.incompletePath, { force: true });
        throw new BadFileError(`${d.context.repoId}/${d.context.path}`, `the server sent more than the ${d.sizeBytes} bytes the Hub announced; deleted the partial file`);
      }
      try {
        await handle.write(chunk.value);
      } catch (e) {
        await reader.cancel().catch(() => undefined);
        throw cacheWriteError(d.incompletePath, e) ?? e;
      }
      digest.hash?.update(chunk.value);
      digest.bytes += chunk.value.byteLength;
      d.onProgress(digest.bytes);
    }
    if (d.sizeBytes !== undefined && digest.bytes < d.sizeBytes) {
      throw new TransientError(hubNetworkError(responseUrl, new Error(`the body ended after ${digest.bytes} of ${d.sizeBytes} bytes`), "finish downloading from"));
    }
    return digest;
  } finally {
    clearTimeout(idleTimer);
    d.signal?.removeEventListener("abort", onUserAbort);
    release();
    await handle?.close().catch(() => undefined);
  }
}
