// What a worker records about a running or finished job's training (the job row's `progress` column): the API
// shows it as the job's `grades` statistics and at /grades.

export interface ComponentProgress {
  /** Step at which GradES froze this weight matrix; null while it trains. */
  frozen_at_step: number | null;
  /** Latest measured G (the freeze metric); null when not measured yet. */
  latest_metric: number | null;
}

export interface HistoryPoint {
  step: number;
  train_loss: number;
  frozen_fraction: number;
  /** Per component G measured at that step (a frozen component: null in the final summary, absent while running). */
  metrics?: Record<string, number | null>;
}

export interface JobProgress {
  steps_completed: number;
  total_steps: number | null;
  train_loss: number | null;
  valid_loss: number | null;
  frozen_fraction: number;
  frozen_components: number;
  total_components: number | null;
  stop_reason: string | null;
  tokens_per_second: number | null;
  estimated_compute_saved: number | null;
  /** The step a rescued or resumed run continued from (its latest checkpoint); null for a fresh run. */
  resumed_from_step: number | null;
  components: Record<string, ComponentProgress>;
  history: HistoryPoint[];
}

export function emptyProgress(): JobProgress {
  return {
    steps_completed: 0,
    total_steps: null,
    train_loss: null,
    valid_loss: null,
    frozen_fraction: 0,
    frozen_components: 0,
    total_components: null,
    stop_reason: null,
    tokens_per_second: null,
    estimated_compute_saved: null,
    resumed_from_step: null,
    components: {},
    history: [],
  };
}
