// Shared start-up plumbing for the process entry points: config errors become one clear line and exit 1;
// SIGINT/SIGTERM run the shutdown steps once, a second signal exits at once.

import { type Config, ConfigError, loadConfig } from "../common/config.ts";
import { createLogger, type Logger } from "../common/logger.ts";

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export function runMain(
  name: string,
  main: (config: Config, logger: Logger) => Promise<() => Promise<void>>,
): void {
  const config = loadConfigOrExit();
  const logger = createLogger(config, name);
  let shutdown: (() => Promise<void>) | undefined;
  let signalled: string | undefined;
  const stop = (signal: string, steps: () => Promise<void>) => {
    logger.info({ signal }, "shutting down");
    steps().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  // Installed before start-up, not after it: a signal that arrives while the service starts, or right after it
  // announced itself, would otherwise get the default action and end the process without its shutdown steps.
  const onSignal = (signal: string) => {
    if (signalled) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    signalled = signal;
    if (shutdown) stop(signal, shutdown);
    else logger.info({ signal }, "signal during start-up: shutting down once started");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  main(config, logger).then(
    (steps) => {
      shutdown = steps;
      if (signalled) stop(signalled, steps);
    },
    (err) => {
      logger.fatal({ err }, `${name} failed to start`);
      process.exit(1);
    },
  );
}
