import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CancelledError } from "../errors.js";
import { AdmissionQueue } from "./admission-queue.js";
import { HttpError } from "./openai-error.js";

describe("AdmissionQueue", () => {
  it("admits up to maxActive, queues FIFO up to maxQueue, refuses the next with 429 + Retry-After", async () => {
    const q = new AdmissionQueue(2, 2);
    const a = await q.acquire();
    const b = await q.acquire();
    assert.equal(q.active, 2);
    const order: string[] = [];
    const c = q.acquire().then((r) => { order.push("c"); return r; });
    const d = q.acquire().then((r) => { order.push("d"); return r; });
    assert.equal(q.waiting, 2);
    await assert.rejects(q.acquire(), (e: unknown) => e instanceof HttpError && e.status === 429 && Number(e.headers["retry-after"]) >= 1);
    a();
    a(); // idempotent
    const releaseC = await c;
    assert.deepEqual(order, ["c"]);
    assert.equal(q.active, 2);
    b();
    const releaseD = await d;
    assert.deepEqual(order, ["c", "d"]);
    releaseC();
    releaseD();
    assert.equal(q.active, 0);
    assert.equal(q.waiting, 0);
  });

  it("a request taking n slots waits for all n, and smaller ones behind it do not overtake", async () => {
    const q = new AdmissionQueue(3, 5);
    const one = await q.acquire();
    const two = await q.acquire();
    let bigIn = false;
    let smallIn = false;
    const big = q.acquire(undefined, 3).then((r) => { bigIn = true; return r; });
    const small = q.acquire(undefined, 1).then((r) => { smallIn = true; return r; });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([bigIn, smallIn], [false, false]);
    one();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([bigIn, smallIn], [false, false], "one free slot is not enough for the big request, and the small one waits its turn");
    two();
    (await big)();
    (await small)();
    assert.equal(q.active, 0);
    await assert.rejects(q.acquire(undefined, 4), RangeError);
  });

  it("an aborted waiter leaves the queue without taking a slot", async () => {
    const q = new AdmissionQueue(1, 4);
    const held = await q.acquire();
    const controller = new AbortController();
    const waiting = q.acquire(controller.signal);
    assert.equal(q.waiting, 1);
    controller.abort();
    await assert.rejects(waiting, CancelledError);
    assert.equal(q.waiting, 0);
    held();
    assert.equal(q.active, 0);
    await assert.rejects(q.acquire(controller.signal), CancelledError);
  });
});
