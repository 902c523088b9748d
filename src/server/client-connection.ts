/**
 * One HTTP exchange as the generation sees it: an AbortSignal that fires the moment the client goes away
 * before the response is complete (closed tab, killed process, dropped stream), so its sequence stops at
 * the next step and its KV cache is freed.
 */
import type { FastifyReply } from "fastify";

export class ClientConnection {
  private readonly controller = new AbortController();

  constructor(reply: FastifyReply) {
    const res = reply.raw;
    res.once("close", () => {
      if (!res.writableFinished) this.controller.abort();
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the client has disconnected early. */
  get gone(): boolean {
    return this.controller.signal.aborted;
  }
}
