// `npm run webhooks`: a webhook dispatcher in a process of its own (start as many as wanted, with DATABASE_URL
// and the same GRADES_WEBHOOK_SECRET_KEY as the API). `npm start` and `npm run worker` also run one unless
// GRADES_WEBHOOKS=false. SIGTERM/SIGINT: the attempts in flight are recorded, then the process exits; a killed
// process's claimed deliveries are taken over by another dispatcher once their lease expires.
import { startDispatcher } from "../worker/webhooks/index.ts";
import { runMain } from "./main.ts";
import { guardProcess } from "./process-guard.ts";
import { openService } from "./service.ts";

runMain("grades-webhooks", async (config, logger) => {
  guardProcess(logger);
  const service = await openService(config, logger);
  const dispatcher = await startDispatcher({ db: service.db, logger, config: config.webhooks });
  return async () => {
    await dispatcher.stop();
    await service.close();
  };
});
