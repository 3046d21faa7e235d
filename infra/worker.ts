// `npm run worker`: a worker process (the distributed form: start as many as wanted, on as many machines, with
// DATABASE_URL and S3 settings). SIGTERM/SIGINT: the running job checkpoints and goes back to the queue, then
// the process exits; a second signal exits at once (the job's lease then expires and another worker rescues it).
import { startWorker } from "../worker/index.ts";
import { runMain } from "./main.ts";
import { startBackendGuarded } from "./process-guard.ts";
import { openService } from "./service.ts";

runMain("grades-worker", async (config, logger) => {
  await startBackendGuarded(config.backend, logger, config.threads);
  const service = await openService(config, logger);
  const worker = await startWorker(service);
  return async () => {
    await worker.stop();
    await service.close();
  };
});
