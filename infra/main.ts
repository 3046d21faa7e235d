// Shared start-up plumbing for the process entry points: config errors become one clear line and exit 1;
// SIGINT/SIGTERM run the shutdown steps once, a second signal exits at once.
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";

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
  let stopping = false;
  main(config, logger).then(
    (shutdown) => {
      const onSignal = (signal: string) => {
        if (stopping) {
          logger.warn({ signal }, "second signal: exiting now");
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, "shutting down");
        shutdown().then(
          () => process.exit(0),
          (err) => {
            logger.error({ err }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    },
    (err) => {
      logger.fatal({ err }, `${name} failed to start`);
      process.exit(1);
    },
  );
}
