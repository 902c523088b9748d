/**
 * Test support (not exported): a loopback imitation of the Hugging Face Hub, built from what
 * huggingface_hub expects of it, so the client is tested without the internet.
 *
 *   GET  /api/models/{org}/{name}/revision/{rev}   {sha, siblings: [{rfilename, blobId, size, lfs?}]}
 *   HEAD/GET /{org}/{name}/resolve/{rev}/{path}     git files: 200 + ETag "<git sha1>";
 *                                                    LFS files: 302 to the CDN + X-Linked-Etag "<sha256>",
 *                                                    X-Linked-Size; always X-Repo-Commit
 *   GET  {cdn}/blobs/{sha256}                       a second server (another origin, like the real CDN),
 *                                                    with Range support and injectable faults
 *
 * Errors copy the Hub's: 401 + X-Error-Code RepoNotFound for an unknown repo without a token (404 with
 * one), 404 RevisionNotFound / EntryNotFound, 401/403 GatedRepo for a gated repo.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeFile {
  readonly path: string;
  readonly content: Uint8Array;
  /** Stored with LFS: served through the CDN and identified by its sha256. */
  readonly lfs: boolean;
}

export interface FakeRepo {
  readonly repoId: string;
  /** Branch or tag name → files at that commit. */
  readonly revisions: Readonly<Record<string, { readonly commit: string; readonly files: readonly FakeFile[] }>>;
  /** Files are served only with this token (403 for another token, 401 for none). */
  readonly gatedToken?: string;
}

export interface LoggedRequest {
  readonly server: "hub" | "cdn";
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
}

/** Faults for the CDN, consumed one request at a time. */
export interface CdnFaults {
  /** sha256 → cut the connection after this many bytes of the body, for the next `times` requests. */
  readonly cut: Map<string, { bytes: number; times: number }>;
  /** sha256 → stop sending (but keep the connection) after this many bytes, for the next `times` requests. */
  readonly stall: Map<string, { bytes: number; times: number }>;
  /** sha256s whose bytes are served with one byte flipped (a corrupt CDN copy). */
  readonly corrupt: Set<string>;
  /** sha256s served whole (200) even when a Range is asked for, as a server without range support. */
  readonly ignoreRange: Set<string>;
  /** Bytes per second the CDN sends at most (for watching the progress bar; 0 = unlimited). */
  throttleBytesPerSecond: number;
}

// Hashes are memoised per buffer: the fake serves the same files many times, and hashing them on every
// request would make the server, not the client, what tests and benchmarks measure.
const sha256Memo = new WeakMap<Uint8Array, string>();
const sha1Memo = new WeakMap<Uint8Array, string>();

export function sha256Hex(data: Uint8Array): string {
  let hex = sha256Memo.get(data);
  if (hex === undefined) sha256Memo.set(data, (hex = createHash("sha256").update(data).digest("hex")));
  return hex;
}

export function gitBlobSha1(data: Uint8Array): string {
  let hex = sha1Memo.get(data);
  if (hex === undefined) sha1Memo.set(data, (hex = createHash("sha1").update(`blob ${data.byteLength}\0`).update(data).digest("hex")));
  return hex;
}

function lfsPointer(content: Uint8Array): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256Hex(content)}\nsize ${content.byteLength}\n`;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export class FakeHub {
  readonly log: LoggedRequest[] = [];
  readonly faults: CdnFaults = { cut: new Map(), stall: new Map(), corrupt: new Set(), ignoreRange: new Set(), throttleBytesPerSecond: 0 };
  private readonly hub: Server;
  private readonly cdn: Server;
  endpoint = "";
  cdnOrigin = "";

  private constructor(readonly repos: FakeRepo[]) {
    this.hub = createServer((req, res) => this.serveHub(req, res));
    this.cdn = createServer((req, res) => this.serveCdn(req, res));
  }

  static async start(repos: FakeRepo[]): Promise<FakeHub> {
    const hub = new FakeHub(repos);
    hub.endpoint = await listen(hub.hub);
    hub.cdnOrigin = await listen(hub.cdn);
    return hub;
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  requests(server: "hub" | "cdn", method?: string): LoggedRequest[] {
    return this.log.filter((r) => r.server === server && (method === undefined || r.method === method));
  }

  private record(server: "hub" | "cdn", req: IncomingMessage): void {
    this.log.push({ server, method: req.method ?? "", path: req.url ?? "", range: req.headers.range, authorization: req.headers.authorization });
  }

  private static error(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { "x-error-code": code, "x-error-message": message, "content-type": "application/json" });
    res.end(JSON.stringify({ error: message }));
  }

  private findRevision(repo: FakeRepo, rev: string): { commit: string; files: readonly FakeFile[] } | undefined {
    return repo.revisions[rev] ?? Object.values(repo.revisions).find((r) => r.commit === rev);
  }

  private serveHub(req: IncomingMessage, res: ServerResponse): void {
    this.record("hub", req);
    const url = new URL(req.url ?? "/", this.endpoint);
    const hasToken = req.headers.authorization !== undefined;
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repoId = api?.[1] ?? resolve?.[1];
    const repo = this.repos.find((r) => r.repoId === repoId);
    if ((api === null && resolve === null) || repoId === undefined) { FakeHub.error(res, 404, "", "Not found"); return; }
    if (repo === undefined) {
      FakeHub.error(res, hasToken ? 404 : 401, "RepoNotFound", "Repository not found");
      return;
    }
    const rev = decodeURIComponent((api ?? resolve)?.[2] ?? "");
    const revision = this.findRevision(repo, rev);
    if (api !== null) {
      if (revision === undefined) { FakeHub.error(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`); return; }
      const siblings = revision.files.map((f) => f.lfs
        ? { rfilename: f.path, blobId: gitBlobSha1(new TextEncoder().encode(lfsPointer(f.content))), size: f.content.byteLength,
            lfs: { sha256: sha256Hex(f.content), size: f.content.byteLength, pointerSize: lfsPointer(f.content).length } }
        : { rfilename: f.path, blobId: gitBlobSha1(f.content), size: f.content.byteLength });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ _id: "0123", id: repo.repoId, sha: revision.commit, private: false, gated: repo.gatedToken !== undefined ? "manual" : false, siblings }));
      return;
    }
    if (repo.gatedToken !== undefined && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      FakeHub.error(res, hasToken ? 403 : 401, "GatedRepo", `Access to model ${repo.repoId} is restricted.`);
      return;
    }
    if (revision === undefined) { FakeHub.error(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`); return; }
    const path = (resolve?.[3] ?? "").split("/").map(decodeURIComponent).join("/");
    const file = revision.files.find((f) => f.path === path);
    if (file === undefined) { FakeHub.error(res, 404, "EntryNotFound", `${path} does not exist on "${rev}"`); return; }
    if (file.lfs) {
      const sha = sha256Hex(file.content);
      res.writeHead(302, {
        location: `${this.cdnOrigin}/blobs/${sha}?X-Amz-Signature=fake`,
        "x-repo-commit": revision.commit, "x-linked-etag": `"${sha}"`, "x-linked-size": String(file.content.byteLength),
        etag: `"${gitBlobSha1(new TextEncoder().encode(lfsPointer(file.content)))}"`, "content-length": "0",
      });
      res.end();
      return;
    }
    this.sendBytes(req, res, file.content, { "x-repo-commit": revision.commit, etag: `"${gitBlobSha1(file.content)}"` });
  }

  private serveCdn(req: IncomingMessage, res: ServerResponse): void {
    this.record("cdn", req);
    const sha = /^\/blobs\/([0-9a-f]{64})$/.exec(new URL(req.url ?? "/", this.cdnOrigin).pathname)?.[1];
    const file = this.repos.flatMap((r) => Object.values(r.revisions).flatMap((v) => v.files)).find((f) => f.lfs && sha256Hex(f.content) === sha);
    if (sha === undefined || file === undefined) { res.writeHead(404); res.end(); return; }
    let content = file.content;
    if (this.faults.corrupt.has(sha)) {
      content = Uint8Array.from(content);
      content[content.length >> 1] = (content[content.length >> 1] ?? 0) ^ 0xff;
    }
    this.sendBytes(req, res, content, { etag: `"${sha}"` }, sha);
  }

  /** 200 or 206 (one `bytes=N-` / `bytes=N-M` range), honouring CDN faults for `faultKey`. */
  private sendBytes(req: IncomingMessage, res: ServerResponse, content: Uint8Array, headers: Record<string, string>, faultKey?: string): void {
    const total = content.byteLength;
    const ignoreRange = faultKey !== undefined && this.faults.ignoreRange.has(faultKey);
    const m = ignoreRange ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    let start = 0;
    let end = total - 1;
    let status = 200;
    if (m !== null) {
      start = Number(m[1]);
      end = m[2] !== "" ? Math.min(Number(m[2]), total - 1) : total - 1;
      if (start >= total) {
        res.writeHead(416, { "content-range": `bytes */${total}` });
        res.end();
        return;
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${end}/${total}`;
    }
    const body = Buffer.from(content.buffer, content.byteOffset, content.byteLength).subarray(start, end + 1);
    res.writeHead(status, { ...headers, "accept-ranges": "bytes", "content-length": String(body.byteLength), "content-type": "application/octet-stream" });
    if (req.method === "HEAD") { res.end(); return; }
    const cut = faultKey !== undefined ? takeFault(this.faults.cut, faultKey) : undefined;
    const stall = faultKey !== undefined ? takeFault(this.faults.stall, faultKey) : undefined;
    if (cut !== undefined) {
      res.write(body.subarray(0, cut), () => res.socket?.destroy());
    } else if (stall !== undefined) {
      res.write(body.subarray(0, stall)); // and never finish
    } else if (this.faults.throttleBytesPerSecond > 0 && faultKey !== undefined) {
      const step = Math.max(1, Math.floor(this.faults.throttleBytesPerSecond / 20));
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed) { clearInterval(timer); return; }
        res.write(body.subarray(sent, sent + step));
        sent += step;
        if (sent >= body.byteLength) { clearInterval(timer); res.end(); }
      }, 50);
    } else {
      res.end(body);
    }
  }
}

function takeFault(faults: Map<string, { bytes: number; times: number }>, key: string): number | undefined {
  const fault = faults.get(key);
  if (fault === undefined || fault.times <= 0) return undefined;
  fault.times--;
  return fault.bytes;
}
