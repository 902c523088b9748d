/**
 * Server-sent events as OpenAI streams them: `data: {json}\n\n` per chunk, then `data: [DONE]\n\n`. The
 * reply is taken over from fastify (hijacked), so the headers fastify's hooks set (CORS) are copied over.
 * A slow reader applies backpressure: `send` waits for the socket to drain.
 */
import type { FastifyReply } from "fastify";
import { once } from "node:events";

export class SseWriter {
  private opened = false;

  constructor(private readonly reply: FastifyReply) {}

  get isOpen(): boolean {
    return this.opened;
  }

  /** Sends the 200 status and the event-stream headers. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(this.reply.getHeaders())) if (value !== undefined) headers[name] = value;
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    this.reply.raw.flushHeaders();
  }

  /** Writes one event; resolves once the socket can take more (or is gone). */
  async send(data: unknown): Promise<void> {
    await this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Writes `[DONE]` and ends the response. */
  async done(): Promise<void> {
    await this.write("data: [DONE]\n\n");
    this.reply.raw.end();
  }

  /** Ends the stream with an error event (after a 200 was already sent, no status can say it). */
  async fail(error: unknown): Promise<void> {
    await this.write(`data: ${JSON.stringify(error)}\n\n`);
    this.reply.raw.end();
  }

  private async write(text: string): Promise<void> {
    const res = this.reply.raw;
    if (res.destroyed || res.writableEnded) return;
    if (!res.write(text)) await Promise.race([once(res, "drain"), once(res, "close")]);
  }
}
