/** setTimeout as a promise that a user's Ctrl-C (an AbortSignal) cuts short with a CancelledError. */
import { CancelledError } from "../../errors.js";

export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new CancelledError("download cancelled")); return; }
    const onAbort = (): void => { clearTimeout(timer); reject(new CancelledError("download cancelled")); };
    const timer = setTimeout(() => { signal?.removeEventListener("abort", onAbort); resolve(); }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
