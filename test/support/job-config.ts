// A job's stored configuration as the API resolves it for a plain request, for tests that enqueue jobs directly.
import { resolveJobConfig } from "../../api/routes/fine-tuning/config.ts";
import type { JobConfig } from "../../db/queue/job-config.ts";

export function plainJobConfig(examples = 10): JobConfig {
  return resolveJobConfig(
    { model: "demo-tiny", training_file: "file-x" } as Parameters<typeof resolveJobConfig>[0],
    examples,
  );
}
