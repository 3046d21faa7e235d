// `npm run worker`: a worker process (the distributed form: start as many as wanted, on as many machines, with
// DATABASE_URL and S3 settings). SIGTERM/SIGINT: the running job checkpoints and goes back to the queue, then
// the process exits; a second signal exits at once (the job's lease then expires and another worker rescues it).
// /health and /metrics are served on GRADES_WORKER_HTTP_PORT. It also runs a webhook dispatcher
// (docs/webhooks.md) unless GRADES_WEBHOOKS=false.
import { startWorker } from "../worker/index.ts";
import { startDispatcher } from "../worker/webhooks/index.ts";
import { runMain } from "./main.ts";
import { startBackendGuarded } from "./process-guard.ts";
import { openService } from "./service.ts";
import { startWorkerHttp } from "./worker-http.ts";

runMain("grades-worker", async (config, logger) => {
  await startBackendGuarded(config.backend, logger);
  const service = await openService(config, logger);
  const worker = await startWorker(service);
  const http = await startWorkerHttp(service, worker, { port: config.worker.httpPort, host: config.host });
  logger.info({ url: http.url }, "worker health and metrics listening");
  const webhooks = config.webhooks.inProcess
    ? await startDispatcher({ db: service.db, logger, config: config.webhooks })
    : undefined;
  return async () => {
    await Promise.all([worker.stop(), webhooks?.stop()]);
    await http.close();
    await service.close();
  };
});
