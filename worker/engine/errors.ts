// The base class of every engine error caused by the user's input: a training option, a dataset line, a model
// folder (config, safetensors, tokenizer), an adapter or a checkpoint. Running again cannot fix such an error,
// and its message alone tells the user what to change, so callers report it as it is (the CLI prints one line,
// the worker fails the job at once instead of retrying it).
export class InputError extends Error {
  override name = "InputError";
}
