/**
 * Files that appear whole or not at all: everything is written to `<path>.tmp-<pid>` and renamed into place
 * only when complete, so an interrupted or failed write never leaves a half-written file under the real name
 * (and a reader of the old file keeps it). On failure the temporary file is removed.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { BadPathError } from "../errors.js";
import { writeAll } from "./file-io.js";

/** Opens the temporary file, lets `write` fill it through its descriptor, then renames it to `path`. */
export function writeThroughTemp(path: string, write: (fd: number) => void): void {
  checkWritable(path);
  const tmp = tempNameFor(path);
  let fd: number;
  try {
    fd = openSync(tmp, "w");
  } catch (e) {
    throw new BadPathError(path, `cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  let open = true;
  try {
    write(fd);
    open = false;
    closeSync(fd);
    renameInto(tmp, path);
  } catch (e) {
    // Close only a descriptor still ours: once closed, its number may already belong to another file.
    if (open) try { closeSync(fd); } catch { /* nothing more to do */ }
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes text (as UTF-8) or bytes to `path`, whole or not at all. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  writeThroughTemp(path, (fd) => writeAll(fd, bytes));
}

/** `JSON.stringify(value, null, 2)` and a newline (or the given formatting), whole or not at all. */
export function writeJsonAtomic(path: string, value: unknown, stringify = (v: unknown) => JSON.stringify(v, null, 2) + "\n"): void {
  writeFileAtomic(path, stringify(value));
}

/** Copies a file to `to`, whole or not at all. */
export function copyFileAtomic(from: string, to: string): void {
  checkWritable(to);
  const tmp = tempNameFor(to);
  try {
    try {
      copyFileSync(from, tmp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw code === "ENOENT" && existsSync(from) ? new BadPathError(to, "cannot write (ENOENT: its folder does not exist)", { cause: e }) : e;
    }
    renameInto(tmp, to);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Creates an output folder (and its parents) if needed; a file in the way is a one-line BadPathError. */
export function makeOutputFolder(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EEXIST" || code === "ENOTDIR" ? "is a file, or inside one (expected a folder to write into)" : `cannot be created (${code ?? String(e)})`;
    throw new BadPathError(path, why, { cause: e });
  }
}

/** The temporary name a write to `path` uses (the process id keeps two processes' writes apart). */
export function tempNameFor(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** A folder where the file should go is the user's mistake (`--out DIR`): say so before writing anything (commands
 *  call it before their work, too). */
export function checkWritable(path: string): void {
  let isFolder = false;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    return; // absent (the usual case), or unreadable: the write itself will say
  }
  if (isFolder) throw new BadPathError(path, "is a folder (expected a file name to write)");
}

function renameInto(tmp: string, path: string): void {
  try {
    renameSync(tmp, path);
  } catch (e) {
    throw new BadPathError(path, `cannot be replaced (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
}
