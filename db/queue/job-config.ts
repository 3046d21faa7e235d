// A job's training configuration as stored in `fine_tuning_jobs.config`: the create request with every "auto"
// resolved and every default filled in (API names, snake_case). The API writes it; the worker reads it.

export interface ResolvedHyperparameters {
  n_epochs: number;
  batch_size: number;
  learning_rate_multiplier: number;
}

export interface JobConfig {
  hyperparameters: ResolvedHyperparameters;
  training_type: "lora" | "full";
  lora: { r: number; alpha: number; dropout: number; target_modules: string[]; use_rslora: boolean };
  grades: {
    enabled: boolean;
    tau: number;
    alpha: number;
    metric: "grad_change" | "weight_change";
    normalize: "sum" | "mean";
    relative_tau: number | null;
    interval: number;
    max_frozen_ratio: number;
  };
  early_stopping: { patience: number; eval_interval: number; min_delta: number } | null;
  learning_rate: number;
  max_seq_len: number;
  max_steps: number | null;
  checkpoint_every: number;
}
