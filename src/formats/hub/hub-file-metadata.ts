/**
 * The per-file HEAD on `/{org}/{name}/resolve/{commit}/{path}` that huggingface_hub makes before every
 * download (get_hf_file_metadata): redirects that stay on the Hub are followed (a renamed repo), the
 * one to the CDN is not, and the headers say what the blob is called and how big it is:
 *   X-Linked-Etag (LFS files; the sha256) or ETag (git files; the blob sha1) → the blob's name,
 *   X-Linked-Size or Content-Length → its size, X-Repo-Commit → the commit it came from.
 */
import { BadFileError } from "../../errors.js";
import { hubFetch } from "./hub-fetch.js";
import { isSafeBlobName, normalizeEtag } from "./hub-cache-layout.js";
import { hubErrorFromResponse, type HubRequestContext } from "./hub-request-error.js";
import type { HubSettings } from "./hub-settings.js";

export interface HubFileMetadata {
  /** The blob's name in the cache. */
  readonly etag: string;
  /** True when the Hub said X-Linked-Etag: the file is stored with LFS (or Xet) and the etag is its sha256. */
  readonly linked: boolean;
  readonly sizeBytes: number | undefined;
  readonly commit: string | undefined;
}

const METADATA_TIMEOUT_MS = 10_000; // huggingface_hub's default etag_timeout

export function resolveUrl(endpoint: string, repoId: string, revision: string, repoPath: string): string {
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${repoPath.split("/").map(encodeURIComponent).join("/")}`;
}

function sizeHeader(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

export async function fetchFileMetadata(settings: HubSettings, ctx: HubRequestContext & { readonly path: string }, signal?: AbortSignal): Promise<HubFileMetadata> {
  const url = resolveUrl(settings.endpoint, ctx.repoId, ctx.revision, ctx.path);
  const { response, release } = await hubFetch({
    url, method: "HEAD", token: settings.token, tokenOrigin: new URL(settings.endpoint).origin,
    redirects: "same-origin", headersTimeoutMs: METADATA_TIMEOUT_MS, ...(signal !== undefined ? { signal } : {}),
  });
  release();
  await response.body?.cancel();
  if (response.status >= 400 || response.status < 200) throw hubErrorFromResponse(response.status, response.headers, url, ctx);
  const linkedEtag = response.headers.get("x-linked-etag");
  const rawEtag = linkedEtag ?? response.headers.get("etag");
  if (rawEtag === null) throw new BadFileError(url, "the Hub sent no ETag for this file, so it cannot be cached");
  const etag = normalizeEtag(rawEtag);
  if (!isSafeBlobName(etag)) throw new BadFileError(url, `unusable ETag ${JSON.stringify(rawEtag.slice(0, 80))}`);
  return {
    etag,
    linked: linkedEtag !== null,
    sizeBytes: sizeHeader(response.headers.get("x-linked-size")) ?? (response.status < 300 ? sizeHeader(response.headers.get("content-length")) : undefined),
    commit: response.headers.get("x-repo-commit") ?? undefined,
  };
}
