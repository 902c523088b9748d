/**
 * Admission control in front of the batch: at most `maxActive` sequences hold a slot (each slot is one
 * generating sequence with its KV cache); up to `maxQueue` more requests wait in FIFO order; one more is
 * refused at once with 429 and a Retry-After estimated from recent service times. Memory stays bounded
 * however many clients arrive. A request with `n` choices takes its n slots together, so two such requests
 * cannot each hold part of what the other needs.
 */
import { CancelledError } from "../errors.js";
import { HttpError } from "./openai-error.js";

interface Waiter {
  readonly count: number;
  readonly grant: () => void;
}

export class AdmissionQueue {
  private activeCount = 0;
  private readonly waiters: Waiter[] = [];
  /** Mean seconds a slot is held (exponentially weighted), for Retry-After. */
  private meanHoldSeconds = 1;
  /** Called whenever `active` or `waiting` changes (metrics). */
  onChange?: () => void;

  constructor(readonly maxActive: number, readonly maxQueue: number) {}

  /** Slots held. */
  get active(): number {
    return this.activeCount;
  }

  /** Requests waiting. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Seconds a refused client should wait: roughly the time for the queue ahead of it to drain. */
  retryAfterSeconds(): number {
    const rounds = (this.waiters.length + 1) / this.maxActive;
    return Math.min(60, Math.max(1, Math.ceil(rounds * this.meanHoldSeconds)));
  }

  /**
   * Waits for `count` slots; resolves with a release function (idempotent). Throws a 429 HttpError when the
   * queue is full, and CancelledError when `signal` aborts while waiting.
   */
  async acquire(signal?: AbortSignal, count = 1): Promise<() => void> {
    if (!Number.isInteger(count) || count < 1 || count > this.maxActive) throw new RangeError(`cannot take ${count} of ${this.maxActive} slots`);
    if (signal?.aborted) throw new CancelledError();
    if (this.waiters.length > 0 || this.activeCount + count > this.maxActive) {
      if (this.waiters.length >= this.maxQueue) {
        const retryAfter = this.retryAfterSeconds();
        throw new HttpError(429, `the server is busy (${this.activeCount} sequences running, ${this.waiters.length} requests waiting); retry after ${retryAfter} s`,
          "rate_limit_error", null, "queue_full", { "retry-after": String(retryAfter) });
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          this.grantWaiters();
          this.onChange?.();
          reject(new CancelledError());
        };
        const waiter: Waiter = {
          count,
          grant: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        this.waiters.push(waiter);
        this.onChange?.();
      });
    } else {
      this.activeCount += count;
      this.onChange?.();
    }
    const start = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const held = (performance.now() - start) / 1000;
      this.meanHoldSeconds = 0.8 * this.meanHoldSeconds + 0.2 * held;
      this.activeCount -= count;
      this.grantWaiters();
      this.onChange?.();
    };
  }

  /** FIFO: the head waiter goes first once its slots are free (no overtaking by smaller requests). */
  private grantWaiters(): void {
    for (;;) {
      const head = this.waiters[0];
      if (!head || this.activeCount + head.count > this.maxActive) return;
      this.waiters.shift();
      this.activeCount += head.count;
      head.grant();
    }
  }
}
