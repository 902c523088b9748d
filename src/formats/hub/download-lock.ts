/**
 * One writer per blob among gemma4 processes: two `gemma4 pull`s of the same model must not append to
 * the same `.incomplete` file. The lock is a file created with O_EXCL holding "pid hostname"; its
 * holder touches it every few seconds, so a lock left by a killed process is recognised (dead pid on
 * this host, or untouched for a minute) and taken over. Python's huggingface_hub uses flock on
 * `<etag>.lock`, which Node cannot take; ours is a separate file, and the sha256 check after every
 * download stays the last line of defence against a writer we could not see.
 */
import { hostname } from "node:os";
import { mkdir, open, readFile, rm, stat, utimes } from "node:fs/promises";
import { dirname } from "node:path";
import { abortableSleep } from "./abortable-sleep.js";

export interface DownloadLockOptions {
  readonly signal?: AbortSignal;
  /** Called once when the lock is busy, with the holder's "pid hostname". */
  readonly onWait?: (holder: string) => void;
  readonly staleMs?: number;
  readonly pollMs?: number;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, "utf8"), stat(lockPath)]);
    const [pidText, host] = text.trim().split(" ");
    const pid = Number(pidText);
    if (host === hostname() && Number.isSafeInteger(pid) && pid > 0 && !processIsAlive(pid)) return true;
    return Date.now() - info.mtimeMs > staleMs;
  } catch {
    return false; // vanished or unreadable: just retry
  }
}

export async function withDownloadLock<T>(lockPath: string, work: () => Promise<T>, options: DownloadLockOptions = {}): Promise<T> {
  const { staleMs = 60_000, pollMs = 250 } = options;
  await mkdir(dirname(lockPath), { recursive: true });
  let told = false;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(`${process.pid} ${hostname()}\n`);
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (await isStale(lockPath, staleMs)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (!told) {
      told = true;
      options.onWait?.(await readFile(lockPath, "utf8").then((t) => t.trim(), () => "?"));
    }
    await abortableSleep(pollMs, options.signal);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, Math.max(1000, Math.floor(staleMs / 6)));
  heartbeat.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    await rm(lockPath, { force: true });
  }
}
