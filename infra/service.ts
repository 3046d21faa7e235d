// What the API and the worker processes share at start: configuration → database (migrated) → storage.

import type { Config } from "../common/config.ts";
import type { Logger } from "../common/logger.ts";
import { type Database, migrate, openDatabase } from "../db/client.ts";
import { openStorage } from "../db/storage/index.ts";
import type { ObjectStorage } from "../db/storage/types.ts";
import { createServiceMetrics, type ServiceMetrics } from "../metrics/service-metrics.ts";

export interface Service {
  config: Config;
  db: Database;
  storage: ObjectStorage;
  logger: Logger;
  metrics: ServiceMetrics;
  close(): Promise<void>;
}

export async function openService(config: Config, logger: Logger): Promise<Service> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const storage = openStorage(config);
  logger.info(
    {
      database: db.driver === "postgres" ? "postgres" : `pglite (${config.dataDir}/pglite)`,
      storage: storage.description,
    },
    "service opened",
  );
  const metrics = createServiceMetrics({ sql: db.sql });
  return { config, db, storage, logger, metrics, close: () => db.close() };
}
