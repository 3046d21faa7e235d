// `npm run worker`: a worker process (the distributed form: start as many as wanted, on as many machines, with
// DATABASE_URL and S3 settings). SIGTERM/SIGINT: the running job checkpoints and goes back to the queue, then
// the process exits; a second signal exits at once (the job's lease then expires and another worker rescues it).
import { initBackend } from "../worker/engine/index.ts";
import { startWorker } from "../worker/index.ts";
import { isTransient } from "../worker/transient.ts";
import type { Logger } from "./logger.ts";
import { runMain } from "./main.ts";
import { openService } from "./service.ts";

/**
 * A lost database connection must not take the worker down: its own queries retry. But postgres.js can fail
 * outside any awaited call when a connection dies at the wrong moment (a rejected type fetch on a fresh
 * connection nobody awaits; a write scheduled on a socket already gone). Those are logged; anything else
 * still ends the process. The wasm backend's Emscripten glue installs handlers that rethrow every stray error;
 * they are replaced by these, once the backend is up.
 */
async function guardProcess(backend: Parameters<typeof initBackend>[0], logger: Logger): Promise<void> {
  const before = {
    exception: new Set(process.listeners("uncaughtException")),
    rejection: new Set(process.listeners("unhandledRejection")),
  };
  const name = await initBackend(backend);
  for (const l of process.listeners("uncaughtException")) {
    if (!before.exception.has(l)) process.off("uncaughtException", l);
  }
  for (const l of process.listeners("unhandledRejection")) {
    if (!before.rejection.has(l)) process.off("unhandledRejection", l);
  }
  const fatal = (err: unknown) => {
    logger.fatal({ err }, "unexpected error");
    process.exit(1);
  };
  process.on("unhandledRejection", (err) => {
    if (isTransient(err)) logger.warn({ err }, "database connection lost (unawaited)");
    else fatal(err);
  });
  process.on("uncaughtException", (err) => {
    if (err instanceof TypeError && err.stack?.includes("postgres/src/connection.js")) {
      logger.warn({ err }, "database connection lost (postgres.js write on a closed socket)");
    } else fatal(err);
  });
  logger.info({ backend: name }, "compute backend ready");
}

runMain("grades-worker", async (config, logger) => {
  await guardProcess(config.backend, logger);
  const service = await openService(config, logger);
  const worker = await startWorker(service);
  return async () => {
    await worker.stop();
    await service.close();
  };
});
