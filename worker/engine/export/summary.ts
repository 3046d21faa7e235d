import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TrainSummary } from "../train/types.ts";

/** outputDir/summary.json: the run's TrainSummary. */
export async function writeSummary(dir: string, summary: TrainSummary): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
}
