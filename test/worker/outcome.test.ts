import { describe, expect, it } from "vitest";
import { DataFormatError, ModelLoadError, type TrainSummary } from "../../worker/engine/index.ts";
import type { StopCause } from "../../worker/lease.ts";
import { outcomeOf, PermanentJobError } from "../../worker/outcome.ts";
import { LeaseLostError } from "../../worker/results.ts";

function summary(stopReason: TrainSummary["stopReason"]): TrainSummary {
  return {
    stopReason,
    stepsCompleted: 3,
    totalSteps: 3,
    trainedTokens: 96,
    finalTrainLoss: 1.5,
    finalValidLoss: null,
    frozenFraction: 0,
    components: [],
    history: [],
    estimatedComputeSaved: 0,
    backend: "cpu",
  };
}

const transient = Object.assign(new Error("connection reset"), { code: "ECONNRESET" });

describe("a run's outcome", () => {
  it("is success for a run trained to its end, also when a pause or shutdown came too late to stop it", () => {
    for (const cause of [null, "pause", "shutdown"] as const) {
      expect(outcomeOf(cause, { summary: summary("max_steps") }).kind).toBe("succeeded");
    }
  });

  it("follows the stop signal when training stopped on it: cancelled, paused, or handed back", () => {
    const stopped = { summary: summary("cancelled") };
    const kinds = (["cancel", "pause", "shutdown", null] as const).map((c) => outcomeOf(c, stopped).kind);
    expect(kinds).toEqual(["cancelled", "paused", "released", "released"]);
  });

  it("lets go of a cancelled job however its run ended", () => {
    expect(outcomeOf("cancel", { summary: summary("max_steps") }).kind).toBe("cancelled");
    expect(outcomeOf("cancel", { error: transient }).kind).toBe("cancelled");
  });

  it("touches nothing once the lease is lost, whatever else happened", () => {
    const ends = [{ summary: summary("max_steps") }, { summary: summary("cancelled") }, { error: transient }];
    expect(ends.map((e) => outcomeOf("lost", e).kind)).toEqual(["lost", "lost", "lost"]);
  });

  it("asks the queue whether results refused at the end were cancelled or taken over", () => {
    expect(outcomeOf(null, { error: new LeaseLostError("ftjob-x") }).kind).toBe("cancelled");
  });

  it("fails at once with the code and param of a permanent error", () => {
    const cases: [unknown, string, string | null][] = [
      [new DataFormatError(3, "not JSON"), "invalid_training_file", "training_file"],
      [new ModelLoadError("no config.json"), "invalid_model", "model"],
      [
        new PermanentJobError("model_not_found", "model 'x' no longer exists", "model"),
        "model_not_found",
        "model",
      ],
    ];
    for (const [error, code, param] of cases) {
      const outcome = outcomeOf(null, { error });
      expect(outcome).toMatchObject({ kind: "failed", error: { code, param } });
    }
  });

  it("retries anything else, with the error's message", () => {
    expect(outcomeOf(null, { error: transient })).toMatchObject({
      kind: "retry",
      message: "connection reset",
    });
    const shutdownDuringError = outcomeOf("shutdown" as StopCause, { error: new Error("disk full") });
    expect(shutdownDuringError).toMatchObject({ kind: "retry", message: "disk full" });
  });
});
