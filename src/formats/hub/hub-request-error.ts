/**
 * Every way a Hub request can fail, as one line a user can act on: which repo, revision or file, and
 * what to do (set HF_TOKEN, accept the licence, check the name, try again). The Hub's own error codes
 * (X-Error-Code: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) pick the message; note that the
 * Hub answers 401, not 404, for a repo that does not exist when no token is sent (it will not reveal
 * whether a private repo exists).
 */
import { BadRequestError } from "../../errors.js";

export class HubRequestError extends BadRequestError {
  constructor(message: string, readonly status: number | undefined, readonly url: string, options?: { cause?: unknown }) {
    super(message, "model", options);
  }
}

export interface HubRequestContext {
  readonly endpoint: string;
  readonly repoId: string;
  readonly revision: string;
  /** The file, for resolve requests. */
  readonly path?: string;
  readonly hadToken: boolean;
}

export function hubErrorFromResponse(status: number, headers: Headers, url: string, ctx: HubRequestContext): HubRequestError {
  const code = headers.get("x-error-code") ?? "";
  const page = `${ctx.endpoint}/${ctx.repoId}`;
  const what = ctx.path !== undefined ? `${ctx.repoId}@${ctx.revision}/${ctx.path}` : `${ctx.repoId}@${ctx.revision}`;
  const tokenHint = "set HF_TOKEN (or pass --token) to a token from https://huggingface.co/settings/tokens";
  let message: string;
  if (code === "GatedRepo" || ((status === 401 || status === 403) && /gated|restricted/i.test(headers.get("x-error-message") ?? ""))) {
    message = ctx.hadToken
      ? `${ctx.repoId} is gated and your token has no access (${status}): accept the licence at ${page} with the account the token belongs to`
      : `${ctx.repoId} is gated (${status}): accept the licence at ${page}, then ${tokenHint}`;
  } else if (code === "RevisionNotFound") {
    message = `revision ${JSON.stringify(ctx.revision)} not found in ${ctx.repoId} (${status}); see ${page}/tree/main for branches and tags`;
  } else if (code === "EntryNotFound") {
    message = `file not found on the Hub: ${what} (${status})`;
  } else if (code === "RepoNotFound" || status === 404) {
    message = ctx.hadToken
      ? `model ${ctx.repoId} not found on ${ctx.endpoint} (${status}), or your token cannot see it; check the name`
      : `model ${ctx.repoId} not found on ${ctx.endpoint} (${status}); check the name, or if it is private or gated, ${tokenHint}`;
  } else if (status === 401) {
    message = ctx.hadToken
      ? `the Hub rejected your token for ${ctx.repoId} (401): check HF_TOKEN / --token`
      : `${ctx.repoId} needs authentication (401): ${tokenHint}; for a gated model also accept the licence at ${page}`;
  } else if (status === 403) {
    message = `access to ${ctx.repoId} denied (403): accept the licence at ${page} and use a token with read access (HF_TOKEN or --token)`;
  } else if (status === 429) {
    message = `the Hub is rate-limiting requests (429) for ${what}; wait a minute and try again${ctx.hadToken ? "" : `, or ${tokenHint}`}`;
  } else if (status >= 500) {
    message = `the Hub answered ${status} for ${what}; try again later`;
  } else {
    const detail = (headers.get("x-error-message") ?? "").slice(0, 200);
    message = `unexpected HTTP ${status} from ${url}${detail !== "" ? `: ${detail}` : ""}`;
  }
  return new HubRequestError(message, status, url);
}

/** A request that never got an answer (DNS, refused, reset, TLS, timeout). */
export function hubNetworkError(url: string, cause: unknown, during = "reach"): HubRequestError {
  const origin = URL.canParse(url) ? new URL(url).origin : url;
  const reason = networkReason(cause);
  return new HubRequestError(`could not ${during} ${origin}: ${reason} (check the connection or HF_ENDPOINT; HF_HUB_OFFLINE=1 uses the cache only)`, undefined, url, { cause });
}

function networkReason(cause: unknown): string {
  let e: unknown = cause;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return `${code}${e.message !== "" && !e.message.includes(code) ? ` (${e.message})` : ""}`;
    if (e.cause === undefined) return e.message;
    e = e.cause;
  }
  return e instanceof Error ? e.message : String(e);
}
