/** Reading a user's JSON / JSON Lines input file for a command, with one-line errors naming file and line. */
import { readFileSync } from "node:fs";
import { BadFileError, BadPathError } from "../errors.js";

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadPathError(path, code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${code ?? (e as Error).message})`, { cause: e });
  }
}

export function readJsonFile(path: string): unknown {
  const text = readText(path);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new BadFileError(path, `is not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** The values of a JSON Lines file (blank lines skipped), each with its 1-based line number. */
export function readJsonlFile(path: string): { line: number; value: unknown }[] {
  const out: { line: number; value: unknown }[] = [];
  for (const [i, text] of readText(path).split("\n").entries()) {
    if (text.trim() === "") continue;
    try {
      out.push({ line: i + 1, value: JSON.parse(text) as unknown });
    } catch (e) {
      throw new BadFileError(path, `line ${i + 1} is not valid JSON (${(e as Error).message})`, { cause: e });
    }
  }
  return out;
}
