// `npm run worker`: a worker process (the distributed form: start as many as wanted, on as many machines, with
// DATABASE_URL and S3 settings). SIGTERM/SIGINT: the running job checkpoints and goes back to the queue, then
// the process exits; a second signal exits at once (the job's lease then expires and another worker rescues it).
// It also runs a webhook dispatcher (docs/webhooks.md) unless GRADES_WEBHOOKS=false.
import { startWorker } from "../worker/index.ts";
import { startDispatcher } from "../worker/webhooks/index.ts";
import { runMain } from "./main.ts";
import { startBackendGuarded } from "./process-guard.ts";
import { openService } from "./service.ts";

runMain("grades-worker", async (config, logger) => {
  await startBackendGuarded(config.backend, logger);
  const service = await openService(config, logger);
  const worker = await startWorker(service);
  const webhooks = config.webhooks.inProcess
    ? await startDispatcher({ db: service.db, logger, config: config.webhooks })
    : undefined;
  return async () => {
    await Promise.all([worker.stop(), webhooks?.stop()]);
    await service.close();
  };
});
