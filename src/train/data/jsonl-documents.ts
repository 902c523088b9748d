/**
 * JSON Lines document files (`{"text": …}` a line, other fields kept), plain or gzip-compressed (`.gz`),
 * read as a stream so that a file larger than memory works, and written atomically (temp name, rename).
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { writeFileAtomic } from "../../formats/atomic-write.js";
import { createInterface } from "node:readline";
import { gzipSync, createGunzip } from "node:zlib";
import { BadFileError, BadPathError } from "../../errors.js";

export interface JsonlDocument {
  readonly text: string;
  /** Every field of the line's object, `text` included. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** 1-based line number. */
  readonly line: number;
}

/** Streams the documents of a `.jsonl` or `.jsonl.gz` file; blank lines are skipped. */
export async function* readJsonlDocuments(path: string): AsyncGenerator<JsonlDocument> {
  if (!existsSync(path)) throw new BadPathError(path, "no such file");
  const raw = createReadStream(path);
  const input = path.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new BadFileError(path, `line ${line} is not JSON`, { cause: e });
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BadFileError(path, `line ${line} is not a JSON object`);
      const fields = value as Record<string, unknown>;
      if (typeof fields["text"] !== "string") throw new BadFileError(path, `line ${line} has no string "text" field`);
      yield { text: fields["text"], fields, line };
    }
  } finally {
    lines.close();
    raw.destroy();
  }
}

/**
 * Writes one JSON object a line; gzip-compressed when `path` ends in `.gz`. Returns the SHA-256 of the
 * uncompressed content (compressed bytes may differ between zlib versions; the content may not).
 */
export function writeJsonlDocuments(path: string, records: Iterable<Readonly<Record<string, unknown>>>): string {
  const lines: string[] = [];
  for (const r of records) lines.push(JSON.stringify(r));
  const content = Buffer.from(lines.length > 0 ? lines.join("\n") + "\n" : "", "utf8");
  writeFileAtomic(path, path.endsWith(".gz") ? gzipSync(content, { level: 9 }) : content);
  return createHash("sha256").update(content).digest("hex");
}
