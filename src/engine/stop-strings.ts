/**
 * Stop strings on streamed text: text is released only once it cannot be the beginning of a stop string,
 * so the stop string itself (and anything after it) never reaches the caller.
 */
export class StopStringMatcher {
  private held = "";
  private stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  get hasStopped(): boolean {
    return this.stopped;
  }

  /** Adds text; returns what is safe to emit now. After a stop string is found, returns "" forever. */
  push(text: string): string {
    if (this.stopped) return "";
    if (this.stops.length === 0) return text;
    this.held += text;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.held.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      const out = this.held.slice(0, cut);
      this.held = "";
      return out;
    }
    // Keep the longest tail that is a proper prefix of some stop string.
    let keep = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.held.length); n > keep; n--) {
        if (this.held.endsWith(stop.slice(0, n))) { keep = n; break; }
      }
    }
    const out = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return out;
  }

  /** The held-back tail once generation ended without a stop string. */
  flush(): string {
    const out = this.stopped ? "" : this.held;
    this.held = "";
    return out;
  }
}
