/**
 * What the Hub says a model holds at one revision: the commit it resolves to and every file with its
 * size and checksums. One call, `GET /api/models/{org}/{name}/revision/{rev}?blobs=true`, the same
 * endpoint huggingface_hub's snapshot_download (repo_info with files_metadata) reads.
 */
import { BadFileError } from "../../errors.js";
import { hubFetch } from "./hub-fetch.js";
import type { HubModelReference } from "./hub-model-reference.js";
import { COMMIT_HASH } from "./hub-model-reference.js";
import { hubErrorFromResponse, hubNetworkError } from "./hub-request-error.js";
import { isSafeRepoPath } from "./hub-cache-layout.js";
import type { HubSettings } from "./hub-settings.js";

export interface HubRepoFile {
  /** Path inside the repo, `/`-separated. */
  readonly path: string;
  /** Bytes of the file's contents (for LFS files: the real file, not the pointer). */
  readonly sizeBytes: number | undefined;
  /** The git blob id (sha1 of "blob N\0" + contents for plain files; of the pointer for LFS files). */
  readonly blobId: string | undefined;
  /** sha256 of the contents, for files stored with LFS (all weights). */
  readonly lfsSha256: string | undefined;
}

export interface HubRepoInfo {
  readonly repoId: string;
  readonly revision: string;
  readonly commit: string;
  readonly files: readonly HubRepoFile[];
}

const API_TIMEOUT_MS = 30_000;

export async function fetchRepoInfo(settings: HubSettings, ref: HubModelReference, signal?: AbortSignal): Promise<HubRepoInfo> {
  const url = `${settings.endpoint}/api/models/${ref.repoId}/revision/${encodeURIComponent(ref.revision)}?blobs=true`;
  const { response, release } = await hubFetch({
    url, method: "GET", token: settings.token, tokenOrigin: new URL(settings.endpoint).origin,
    headers: { accept: "application/json" }, redirects: "same-origin", headersTimeoutMs: API_TIMEOUT_MS,
    ...(signal !== undefined ? { signal } : {}),
  });
  try {
    if (!response.ok) {
      await response.body?.cancel();
      throw hubErrorFromResponse(response.status, response.headers, url, { endpoint: settings.endpoint, ...ref, hadToken: settings.token !== undefined });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (e) {
      if (e instanceof SyntaxError) throw new BadFileError(url, "the Hub's answer is not JSON");
      throw hubNetworkError(url, e, "read the answer from");
    }
    return parseRepoInfo(body, ref, url);
  } finally {
    release();
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalSize(v: unknown): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function optionalHex(v: unknown, length: number): string | undefined {
  return typeof v === "string" && new RegExp(`^[0-9a-f]{${length}}$`).test(v) ? v : undefined;
}

/** Validates the JSON before anything is trusted: a bad commit or a path that leaves the snapshot is an error. */
export function parseRepoInfo(body: unknown, ref: HubModelReference, source: string): HubRepoInfo {
  if (!isRecord(body)) throw new BadFileError(source, "expected a JSON object");
  const commit = body["sha"];
  if (typeof commit !== "string" || !COMMIT_HASH.test(commit)) throw new BadFileError(source, `"sha" is not a 40-hex commit hash`);
  const siblings = body["siblings"];
  if (!Array.isArray(siblings)) throw new BadFileError(source, `"siblings" (the file list) is missing`);
  const files: HubRepoFile[] = [];
  for (const sibling of siblings) {
    if (!isRecord(sibling) || typeof sibling["rfilename"] !== "string") throw new BadFileError(source, "a sibling has no rfilename");
    const path = sibling["rfilename"];
    if (!isSafeRepoPath(path)) throw new BadFileError(source, `unsafe file name ${JSON.stringify(path)}`);
    const lfs = sibling["lfs"];
    const lfsSha256 = isRecord(lfs) ? optionalHex(lfs["sha256"], 64) : undefined;
    const sizeBytes = (isRecord(lfs) ? optionalSize(lfs["size"]) : undefined) ?? optionalSize(sibling["size"]);
    files.push({ path, sizeBytes, blobId: optionalHex(sibling["blobId"], 40), lfsSha256 });
  }
  return { repoId: ref.repoId, revision: ref.revision, commit, files };
}
