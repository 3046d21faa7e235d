// What programs outside db/ that are not the API or a worker (benchmarks, tools) import from the data layer.
export { percentile, withFreshDatabase } from "./bench/fresh-database.ts";
export { queueStandInJob } from "./bench/stand-in-job.ts";
export { type Database, migrate, openDatabase, type SqlExecutor } from "./client.ts";
export { createEndpoint } from "./webhooks/endpoints.ts";
export { secretBox } from "./webhooks/secrets.ts";
