/**
 * Bearer API keys, compared in constant time: both sides are hashed to 32 bytes (so neither the length
 * nor a common prefix of the right key shows in the timing) and every configured key is compared, with
 * no early exit.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { BadFileError } from "../errors.js";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

export class ApiKeyCheck {
  private readonly digests: readonly Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  /** True when no key is configured (open server). */
  get open(): boolean {
    return this.digests.length === 0;
  }

  /** Whether an `Authorization` header value carries one of the keys. */
  accepts(authorization: string | undefined): boolean {
    if (this.open) return true;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
    const given = digest(match?.[1] ?? "");
    let ok = false;
    for (const key of this.digests) ok = timingSafeEqual(given, key) || ok;
    return ok && match !== null;
  }
}

/** Keys from a file: one per line; blank lines and lines starting with # are ignored. */
export function readApiKeyFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new BadFileError(path, `cannot read the API key file (${(e as NodeJS.ErrnoException).code ?? "error"})`, { cause: e });
  }
  const keys = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  if (keys.length === 0) throw new BadFileError(path, "holds no API key (one key per line)");
  for (const key of keys) if (/\s/.test(key)) throw new BadFileError(path, "an API key contains whitespace");
  return keys;
}
