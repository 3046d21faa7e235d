// What every handler can reach: the dependencies the app was built with and the per-request context.

import type { Config } from "../common/config.ts";
import type { Logger } from "../common/logger.ts";
import type { Database } from "../db/client.ts";
import type { ObjectStorage } from "../db/storage/types.ts";
import type { ServiceMetrics } from "../metrics/service-metrics.ts";
import type { IdempotencyState } from "./idempotency/middleware.ts";

export interface AppDeps {
  config: Config;
  db: Database;
  storage: ObjectStorage;
  logger: Logger;
  /** Served at /metrics when given (processes on Node; not on Lambda). */
  metrics?: ServiceMetrics;
}

/** The tenant a request's API key belongs to. */
export interface AuthTenant {
  id: string;
  name: string;
  keyId: string;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    log: Logger;
    tenant: AuthTenant;
    /** Set on a create sent with an Idempotency-Key (api/idempotency/). */
    idempotency: IdempotencyState | undefined;
  };
}
