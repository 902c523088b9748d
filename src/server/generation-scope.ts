/**
 * The life of one generating request: wait for batch slots (or get a 429), run its generators (one per
 * choice) with a signal that fires when the client disconnects, and — however it ends — stop every
 * generator so its session is disposed (KV memory freed), give the slots back, and count a disconnect.
 */
import type { FastifyReply } from "fastify";
import { CancelledError } from "../errors.js";
import { ClientConnection } from "./client-connection.js";
import { toOpenAiError } from "./openai-error.js";
import type { ServerContext } from "./server-context.js";
import type { SseWriter } from "./sse-writer.js";
import { TokenTiming } from "./token-timing.js";

export class GenerationScope {
  private readonly controller = new AbortController();
  private readonly generators: AsyncGenerator<unknown>[] = [];
  readonly connection: ClientConnection;
  readonly startMs = performance.now();

  constructor(readonly context: ServerContext, reply: FastifyReply, readonly route: string) {
    this.connection = new ClientConnection(reply);
    const clientSignal = this.connection.signal;
    if (clientSignal.aborted) this.controller.abort();
    else clientSignal.addEventListener("abort", () => this.controller.abort(), { once: true });
  }

  /** Aborts when the client goes away or the request ends early (an error in another choice). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Registers a generator to be stopped (and its session disposed) when the scope ends. */
  track<E>(generator: AsyncGenerator<E>): AsyncGenerator<E> {
    this.generators.push(generator);
    return generator;
  }

  timing(): TokenTiming {
    return new TokenTiming(this.context.metrics, this.route, this.startMs);
  }

  /** Ends a stream whose 200 is already out: the error can only be told in the stream (OpenAI's clients raise
   *  it), if the client is still there; a server fault (5xx) is also logged. */
  async failStream(sse: SseWriter, e: unknown): Promise<void> {
    if (this.connection.gone) return;
    const mapped = toOpenAiError(e);
    if (mapped.status >= 500) this.context.options.log(`gemma4 serve: ${this.route} stream failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    await sse.fail(mapped.body);
  }

  /** Runs one loop per choice; the first failure aborts the others; throws it once all have settled. */
  async eachChoice(count: number, loop: (choice: number) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => loop(i).catch((e: unknown) => {
      this.controller.abort();
      throw e;
    })));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Runs `body` holding `slots` batch slots. */
  async run<T>(slots: number, body: (scope: this) => Promise<T>): Promise<T> {
    const release = await this.context.queue.acquire(this.signal, slots).catch((e: unknown) => {
      if (e instanceof CancelledError) this.context.metrics.cancelled.inc({ route: this.route });
      throw e;
    });
    try {
      return await body(this);
    } finally {
      this.controller.abort();
      // A generator suspended at a yield runs its finally (session.dispose) on return(); one still inside a
      // step sees the aborted signal when the step ends and throws, which also disposes.
      await Promise.allSettled(this.generators.map((g) => g.return(undefined)));
      release();
      if (this.connection.gone) this.context.metrics.cancelled.inc({ route: this.route });
    }
  }
}
