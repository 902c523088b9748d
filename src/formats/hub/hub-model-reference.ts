/**
 * A model on the Hub as a user writes it: `org/name`, `org/name@revision`, `hf:org/name[@revision]`
 * (also `hf://org/name`). The revision is a branch, a tag, a `refs/pr/N` ref or a 40-hex commit; it
 * defaults to `main`, as in huggingface_hub.
 */
import { BadRequestError } from "../../errors.js";

export const DEFAULT_REVISION = "main";
const HF_PREFIX = /^hf:(\/\/)?/;
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

export interface HubModelReference {
  /** `org/name`, exactly as the Hub spells it. */
  readonly repoId: string;
  /** A branch, tag, ref or commit hash (`main` when none was written). */
  readonly revision: string;
}

/** Python's validate_repo_id, less the legacy namespace-free ids (`gpt2`): every Gemma repo has an owner. */
const NAME_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;

export function repoIdProblem(repoId: string): string | undefined {
  const parts = repoId.split("/");
  if (parts.length !== 2) return "a Hub model is written org/name";
  const [owner = "", name = ""] = parts;
  for (const part of [owner, name]) {
    if (!NAME_PART.test(part)) return `${JSON.stringify(part)} may hold only letters, digits, '-', '_' and '.', and must start and end with a letter or digit`;
  }
  if (repoId.includes("--") || repoId.includes("..")) return "'--' and '..' are not allowed in a repo id";
  if (name.endsWith(".git")) return "a repo id cannot end in .git";
  return undefined;
}

export function revisionProblem(revision: string): string | undefined {
  if (revision === "") return "the revision after '@' is empty";
  if (/[\s\x00-\x1f\\~^:?*[]/.test(revision)) return `revision ${JSON.stringify(revision)} has a character git does not allow`;
  if (revision.startsWith("/") || revision.endsWith("/") || revision.split("/").some((s) => s === "" || s === "." || s === "..")) {
    return `revision ${JSON.stringify(revision)} is not a valid branch, tag or commit`;
  }
  return undefined;
}

/** True when `text` is written as a Hub reference (it may still be malformed: parse it to find out). */
export function isHubReferenceSyntax(text: string): boolean {
  if (HF_PREFIX.test(text)) return true;
  const [repo = ""] = text.split("@", 1);
  return /^[^/\\.~][^/\\]*\/[^/\\]+$/.test(repo) && !repo.startsWith("-");
}

/** Parses a Hub reference; throws a one-line BadRequestError naming what is wrong. */
export function parseHubReference(text: string): HubModelReference {
  const body = text.trim().replace(HF_PREFIX, "");
  const at = body.indexOf("@");
  const repoId = at < 0 ? body : body.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : body.slice(at + 1);
  const problem = repoIdProblem(repoId) ?? revisionProblem(revision);
  if (problem !== undefined) {
    throw new BadRequestError(`bad model reference ${JSON.stringify(text)}: ${problem} (expected org/name, org/name@revision or hf:org/name)`, "model");
  }
  return { repoId, revision };
}

export function formatHubReference(ref: HubModelReference): string {
  return ref.revision === DEFAULT_REVISION ? ref.repoId : `${ref.repoId}@${ref.revision}`;
}
