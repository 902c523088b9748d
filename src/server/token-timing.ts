/** Per-choice latency bookkeeping: time to first token (from request arrival) and time between tokens. */
import type { ServerMetrics } from "./server-metrics.js";

export class TokenTiming {
  private last: number | null = null;
  private count = 0;

  constructor(private readonly metrics: ServerMetrics, private readonly route: string, private readonly startMs: number) {}

  /** Records one generated token. */
  token(): void {
    const now = performance.now();
    if (this.last === null) this.metrics.timeToFirstToken.observe({ route: this.route }, (now - this.startMs) / 1000);
    else this.metrics.timePerToken.observe({ route: this.route }, (now - this.last) / 1000);
    this.last = now;
    this.count++;
    this.metrics.generatedTokens.inc({ route: this.route });
  }

  get tokens(): number {
    return this.count;
  }
}
