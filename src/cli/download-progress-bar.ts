/**
 * The one-line progress bar `gemma4 pull` (and any command that downloads a model) draws on stderr:
 *
 *   google/gemma-4-E2B-it  [#########.........]  46%  4.71/10.2 GB  48.3 MB/s  ETA 1m54s  model.safetensors
 *
 * Redrawn at most 10 times a second with a carriage return; the rate is measured over the last few
 * seconds of transfer (resumed bytes from an earlier run don't count), the ETA follows from it. Draw it
 * only on a terminal: callers check `stream.isTTY`.
 */
import type { PullProgress } from "../formats/hub/pull-model.js";
import { formatBytes } from "./format.js";
import { formatDuration } from "./format-duration.js";

const REDRAW_MS = 100;
const RATE_WINDOW_MS = 5000;

export class DownloadProgressBar {
  private latest: PullProgress | undefined;
  private readonly samples: { timeMs: number; bytes: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly label: string) {}

  update(progress: PullProgress): void {
    this.latest = progress;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.draw(), REDRAW_MS);
      this.timer.unref();
    }
  }

  /** Erases the bar (call before printing anything else, and at the end). */
  finish(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
  }

  /** Bytes per second over the recent window. */
  private rate(now: number, transferred: number): number {
    this.samples.push({ timeMs: now, bytes: transferred });
    while (this.samples.length > 2 && now - (this.samples[0]?.timeMs ?? now) > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    if (first === undefined || now - first.timeMs < 250) return 0;
    return ((transferred - first.bytes) * 1000) / (now - first.timeMs);
  }

  private draw(): void {
    const p = this.latest;
    if (p === undefined || p.totalBytes === 0) return;
    const now = Date.now();
    const rate = this.rate(now, p.doneBytes - p.resumedBytes);
    const fraction = Math.min(1, p.doneBytes / p.totalBytes);
    const eta = rate > 0 ? formatDuration((p.totalBytes - p.doneBytes) / rate) : "?";
    const stats = `${String(Math.floor(fraction * 100)).padStart(3)}%  ${formatBytes(p.doneBytes)}/${formatBytes(p.totalBytes)}  ${rate > 0 ? `${formatBytes(rate)}/s` : "--"}  ETA ${eta}`;
    const columns = this.stream.columns ?? 80;
    const current = p.activeFiles[0] ?? "";
    const barWidth = Math.max(10, Math.min(30, columns - this.label.length - stats.length - 12));
    const filled = Math.round(fraction * barWidth);
    let line = `${this.label}  [${"#".repeat(filled)}${".".repeat(barWidth - filled)}]  ${stats}  ${current}`;
    if (line.length > columns - 1) line = line.slice(0, columns - 2) + "…";
    this.stream.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }
}
