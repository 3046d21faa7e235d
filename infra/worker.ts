// `npm run worker`: a worker process (the distributed form: start as many as wanted, on as many machines, with
// DATABASE_URL and S3 settings). SIGTERM/SIGINT: the running job checkpoints and goes back to the queue, then
// the process exits; a second signal exits at once (the job's lease then expires and another worker rescues it).
import { startWorker } from "../worker/index.ts";
import { isTransient } from "../worker/transient.ts";
import { runMain } from "./main.ts";
import { openService } from "./service.ts";

runMain("grades-worker", async (config, logger) => {
  // postgres.js can reject a promise nobody awaits when a connection dies while it is being set up; a database
  // restart must not take the worker down with it (its own queries retry), so such errors are only logged.
  process.on("unhandledRejection", (err) => {
    if (!isTransient(err)) throw err;
    logger.warn({ err }, "database connection lost (unawaited)");
  });
  const service = await openService(config, logger);
  const worker = await startWorker(service);
  return async () => {
    await worker.stop();
    await service.close();
  };
});
