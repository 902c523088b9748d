/** What a run records as it goes: per-step training loss and periodic validation loss. */
export interface StepRecord {
  readonly step: number;
  readonly loss: number;
  readonly learningRate: number;
  readonly gradNorm: number;
  readonly tokens: number;
  /** Seconds since the run (or its first segment) started. */
  readonly elapsed: number;
}

export interface EvalRecord {
  readonly step: number;
  readonly loss: number;
  readonly tokens: number;
}

export interface TrainingHistory {
  readonly steps: StepRecord[];
  readonly evals: EvalRecord[];
}

export function emptyHistory(): TrainingHistory {
  return { steps: [], evals: [] };
}
