/**
 * fetch for the Hub: follows redirects by hand so that the token is sent only to the Hub's own origin
 * (never to the CDN a file redirects to), asks for identity encoding (byte ranges must index the stored
 * file, not a gzip stream), times out a silent server, and turns failures into one-line errors.
 */
import { CancelledError } from "../../errors.js";
import { VERSION } from "../../version.js";
import { hubNetworkError } from "./hub-request-error.js";

const MAX_REDIRECTS = 10;
export const USER_AGENT = `gemma4/${VERSION}; node/${process.versions.node}`;

export interface HubFetchRequest {
  readonly url: string;
  readonly method: "GET" | "HEAD";
  /** Sent as a Bearer token, only to `tokenOrigin`. */
  readonly token: string | undefined;
  readonly tokenOrigin: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * `all`: follow every redirect (file downloads: Hub → CDN). `same-origin`: only redirects that stay on
   * the Hub (a renamed repo), as huggingface_hub's metadata HEAD does, so the CDN location is returned.
   */
  readonly redirects: "all" | "same-origin";
  /** Aborts the request and its body (a user's Ctrl-C, or a body-idle timer). */
  readonly signal?: AbortSignal;
  /** Time allowed until response headers arrive. */
  readonly headersTimeoutMs: number;
}

export interface HubFetchResult {
  readonly response: Response;
  /** The URL that produced `response` (after redirects). */
  readonly url: string;
  /** Unhooks the caller's signal; call once the body has been read or dropped. */
  release(): void;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export async function hubFetch(request: HubFetchRequest): Promise<HubFetchResult> {
  let url = request.url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "user-agent": USER_AGENT, "accept-encoding": "identity", ...request.headers };
    if (request.token !== undefined && new URL(url).origin === request.tokenOrigin) headers["authorization"] = `Bearer ${request.token}`;
    const { response, release } = await fetchWithHeadersTimeout(url, { method: request.method, headers, redirect: "manual" }, request);
    const location = isRedirect(response.status) ? response.headers.get("location") : null;
    const next = location !== null ? new URL(location, url).toString() : undefined;
    if (next === undefined || (request.redirects === "same-origin" && new URL(next).origin !== new URL(url).origin)) {
      return { response, url, release };
    }
    await response.body?.cancel();
    release();
    url = next;
  }
  throw hubNetworkError(request.url, new Error(`more than ${MAX_REDIRECTS} redirects`));
}

async function fetchWithHeadersTimeout(url: string, init: RequestInit, request: HubFetchRequest): Promise<{ response: Response; release: () => void }> {
  const controller = new AbortController();
  const outer = request.signal;
  if (outer?.aborted) throw new CancelledError("download cancelled");
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onAbort, { once: true });
  const release = (): void => outer?.removeEventListener("abort", onAbort);
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, request.headersTimeoutMs);
  try {
    // The link to `outer` stays in place after headers arrive (until release), so aborting it also stops the body.
    return { response: await fetch(url, { ...init, signal: controller.signal }), release };
  } catch (e) {
    release();
    if (outer?.aborted) throw new CancelledError("download cancelled");
    if (timedOut) throw hubNetworkError(url, new Error(`no answer within ${Math.round(request.headersTimeoutMs / 1000)} s`));
    throw hubNetworkError(url, e);
  } finally {
    clearTimeout(timer);
  }
}
