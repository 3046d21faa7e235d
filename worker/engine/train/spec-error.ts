import { InputError } from "../errors.ts";

/** A bad training option; `field` is its path in the options' names (`hyperparameters.n_epochs`). */
export class TrainSpecError extends InputError {
  override name = "TrainSpecError";
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}
