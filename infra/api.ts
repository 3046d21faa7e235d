// `npm run api`: the API alone (the distributed form: run as many as wanted behind a load balancer, with
// DATABASE_URL and S3 settings, and workers started with `npm run worker`).
import { ensureBuiltinModels } from "../api/index.ts";
import { runMain } from "./main.ts";
import { guardProcess } from "./process-guard.ts";
import { startServer } from "./server.ts";
import { openService } from "./service.ts";

runMain("grades-api", async (config, logger) => {
  guardProcess(logger);
  const service = await openService(config, logger);
  if (config.demoModel.enabled)
    await ensureBuiltinModels({ db: service.db.db, storage: service.storage, logger });
  const server = await startServer(service, { port: config.port, host: config.host });
  logger.info({ url: server.url }, "API listening");
  return async () => {
    await server.close();
    await service.close();
  };
});
