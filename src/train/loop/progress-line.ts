/**
 * The live progress line: step, loss (smoothed), learning rate, tokens/s and ETA. On a terminal it rewrites
 * one line; elsewhere (logs, CI) it prints a line every `everySteps` steps.
 */
export interface ProgressLine {
  update(step: number, totalSteps: number, loss: number, learningRate: number, tokensPerSecond: number, secondsLeft: number): void;
  message(text: string): void;
  done(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}

export function progressLine(stream: NodeJS.WriteStream = process.stderr, everySteps = 10): ProgressLine {
  const tty = stream.isTTY === true;
  let smoothed = NaN;
  let open = false;
  return {
    update(step, totalSteps, loss, learningRate, tokensPerSecond, secondsLeft) {
      smoothed = Number.isNaN(smoothed) ? loss : 0.9 * smoothed + 0.1 * loss;
      const text = `step ${step}/${totalSteps} | loss ${loss.toFixed(4)} (avg ${smoothed.toFixed(4)}) | lr ${learningRate.toExponential(2)} | ${Math.round(tokensPerSecond)} tok/s | ETA ${formatDuration(secondsLeft)}`;
      if (tty) {
        stream.write(`\r\x1b[K${text}`);
        open = true;
      } else if (step % everySteps === 0 || step === totalSteps) {
        stream.write(text + "\n");
      }
    },
    message(text) {
      if (open) stream.write("\n");
      open = false;
      stream.write(text + "\n");
    },
    done() {
      if (open) stream.write("\n");
      open = false;
    },
  };
}
