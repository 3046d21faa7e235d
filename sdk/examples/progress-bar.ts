// A terminal progress bar for a fine-tuning job: pass `progressBar()` as `onProgress` to `jobs.wait`. On a
// terminal it redraws one line in place; elsewhere (CI logs, pipes) it prints one line per change.
import type { JobProgress } from "@grades-finetune/sdk";

export function progressLine(p: JobProgress, width = 30): string {
  const total = p.total_steps ?? 0;
  const done = total > 0 ? Math.min(1, p.step / total) : 0;
  const filled = Math.round(done * width);
  const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
  const steps = total > 0 ? `${p.step}/${total}` : `${p.step}`;
  const loss = p.train_loss === null ? "" : ` loss ${p.train_loss.toFixed(4)}`;
  const frozen = ` frozen ${(p.frozen_fraction * 100).toFixed(0)}%`;
  return `${bar} ${steps} ${p.status}${loss}${frozen}`;
}

export function progressBar(out: NodeJS.WriteStream = process.stderr): (p: JobProgress) => void {
  return (p) => {
    const line = progressLine(p);
    if (out.isTTY) {
      out.write(`\r${line}\x1b[K`);
      if (p.status === "succeeded" || p.status === "failed" || p.status === "cancelled") out.write("\n");
    } else out.write(`${line}\n`);
  };
}
