// A fine-tuning job from start to adapter: upload a dataset, train a LoRA adapter with GradES, watch it on a
// progress bar, and unpack the adapter (PEFT files) into a folder.
//
//   GRADES_API_KEY=… GRADES_BASE_URL=http://localhost:8080/v1 \
//     npx tsx job-to-adapter.ts <train.jsonl> <adapter-dir> [model (demo-tiny)] [max steps (20)]
//
// Ctrl-C stops waiting; the job itself goes on (cancel it with client.fineTuning.jobs.cancel).
import Grades from "@grades-finetune/sdk";
import { progressBar } from "./progress-bar.ts";

const [dataset, adapterDir, model = "demo-tiny", maxSteps = "20"] = process.argv.slice(2);
if (!dataset || !adapterDir) {
  console.error("usage: job-to-adapter.ts <train.jsonl> <adapter-dir> [model] [max-steps]");
  process.exit(2);
}

const client = new Grades();
const file = await client.files.create({
  file: dataset,
  purpose: "fine-tune",
  onProgress: ({ loaded, total }) => process.stderr.write(`\ruploading ${loaded}/${total} bytes`),
});
process.stderr.write(`\nuploaded ${file.id}\n`);

const job = await client.fineTuning.jobs.create({
  model,
  training_file: file.id,
  max_steps: Number(maxSteps),
  lora: { r: 8, alpha: 16 },
  grades: { alpha: 0.3, max_frozen_ratio: 1 },
});
process.stderr.write(`job ${job.id} ${job.status}\n`);

const stop = new AbortController();
process.once("SIGINT", () => stop.abort());
const done = await client.fineTuning.jobs.wait(job.id, { onProgress: progressBar(), signal: stop.signal });
if (done.status !== "succeeded") {
  console.error(`job ${done.id} ${done.status}: ${done.error?.message ?? ""}`);
  process.exit(1);
}

const adapter = await client.fineTuning.jobs.adapter(done.id, { dir: adapterDir });
console.log(
  JSON.stringify({ job: done.id, model: done.fine_tuned_model, dir: adapter.dir, files: adapter.files }),
);
