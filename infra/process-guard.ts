// What ends a process and what does not. A lost database connection must not take a process down: queries
// retry. But postgres.js can fail outside any awaited call when a connection dies at the wrong moment (a
// rejected type fetch on a fresh connection nobody awaits; a write scheduled on a socket already gone). Those
// are logged; anything else still ends the process. The wasm backend's Emscripten glue installs handlers that
// rethrow every stray error, so the compute backend is started first and its handlers are replaced by these.

import type { Logger } from "../common/logger.ts";
import type { BackendName } from "../worker/engine/index.ts";
import { isTransient } from "../worker/transient.ts";

function isPostgresWriteOnClosedSocket(err: unknown): boolean {
  return err instanceof TypeError && (err.stack?.includes("postgres/src/connection.js") ?? false);
}

/** Installs the process-wide error handlers, dropping any a library installed before. */
export function guardProcess(logger: Logger): void {
  process.removeAllListeners("uncaughtException");
  process.removeAllListeners("unhandledRejection");
  const fatal = (err: unknown) => {
    logger.fatal({ err }, "unexpected error");
    process.exit(1);
  };
  process.on("unhandledRejection", (err) => {
    if (isTransient(err)) logger.warn({ err }, "database connection lost (unawaited)");
    else fatal(err);
  });
  process.on("uncaughtException", (err) => {
    if (isPostgresWriteOnClosedSocket(err)) {
      logger.warn({ err }, "database connection lost (postgres.js write on a closed socket)");
    } else fatal(err);
  });
}

/**
 * For processes that run a worker: starts the configured compute backend once, so a backend that is not
 * installed stops the process at start rather than failing every job (jobs train on their own thread, which
 * starts its own), then guards the process. Returns the backend's name.
 */
export async function startBackendGuarded(backend: BackendName, logger: Logger): Promise<string> {
  // Loaded here, not at the top: an API-only process never loads TensorFlow.js.
  const { initBackend } = await import("../worker/engine/index.ts");
  const name = await initBackend(backend);
  guardProcess(logger);
  logger.info({ backend: name }, "compute backend ready");
  return name;
}
