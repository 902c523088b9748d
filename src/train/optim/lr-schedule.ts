/**
 * Learning rate by step: linear warmup from 0 to `peak` over `warmupSteps`, then cosine decay to
 * `minRatio`·peak at `totalSteps` (and flat after). Steps count from 0.
 */
export interface LrSchedule {
  readonly peak: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  /** Final learning rate as a fraction of the peak. */
  readonly minRatio: number;
}

export function learningRate(schedule: LrSchedule, step: number): number {
  const { peak, warmupSteps, totalSteps, minRatio } = schedule;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return peak * (minRatio + (1 - minRatio) * cosine);
}
