// `npm start`: the whole service in one process on the embedded defaults (PGlite and a local folder unless
// DATABASE_URL / S3 settings say otherwise): migrations, the built-in model, an API key, the API, a worker loop
// and a webhook dispatcher. Prints how to call it.
import { ensureBuiltinModels } from "../api/index.ts";
import type { Config } from "../common/config.ts";
import { countKeys, createApiKey } from "../db/keys.ts";
import { startWorker } from "../worker/index.ts";
import { startDispatcher } from "../worker/webhooks/index.ts";
import { runMain } from "./main.ts";
import { guardProcess, startBackendGuarded } from "./process-guard.ts";
import { startServer } from "./server.ts";
import { openService, type Service } from "./service.ts";

export const DEFAULT_TENANT = "default";

/** The key to print: GRADES_API_KEY (seeded), or a new one when the deployment has none yet. */
async function ensureKey(
  service: Service,
  config: Config,
): Promise<{ key: string; seeded: boolean } | undefined> {
  if (config.apiKey) {
    await createApiKey(service.db.db, DEFAULT_TENANT, { key: config.apiKey, name: "GRADES_API_KEY" });
    return { key: config.apiKey, seeded: true };
  }
  if ((await countKeys(service.db.db)) > 0) return undefined;
  const created = await createApiKey(service.db.db, DEFAULT_TENANT, { name: "first start" });
  return { key: created.key, seeded: false };
}

function banner(url: string, key: { key: string; seeded: boolean } | undefined): string {
  const shown = key?.key ?? "<your API key>";
  const lines = [
    "",
    `grades-finetune is running at ${url}`,
    key
      ? key.seeded
        ? "API key (from GRADES_API_KEY):"
        : "API key (created now, shown once; keep it):"
      : "Use the API key printed at first start, or create one: npx grades keys create --tenant NAME",
  ];
  if (key) lines.push(`  ${key.key}`);
  lines.push(
    "",
    "Try it:",
    `  curl ${url}/v1/models -H "Authorization: Bearer ${shown}"`,
    `  curl ${url}/v1/files -H "Authorization: Bearer ${shown}" -F purpose=fine-tune -F file=@train.jsonl`,
    `API reference: ${url}/docs   OpenAPI: ${url}/openapi.json`,
    "",
  );
  return lines.join("\n");
}

runMain("grades", async (config, logger) => {
  if (config.worker.inProcess) await startBackendGuarded(config.backend, logger, config.threads);
  else guardProcess(logger);
  const service = await openService(config, logger);
  if (config.demoModel.enabled)
    await ensureBuiltinModels({ db: service.db.db, storage: service.storage, logger });
  const key = await ensureKey(service, config);
  const server = await startServer(service, { port: config.port, host: config.host });
  const worker = config.worker.inProcess ? await startWorker(service) : undefined;
  const webhooks = config.webhooks.inProcess
    ? await startDispatcher({ db: service.db, logger, config: config.webhooks, metrics: service.metrics })
    : undefined;
  process.stdout.write(banner(server.url, key));
  return async () => {
    // Side by side: a client still streaming a long upload or download must not hold up the running job's
    // checkpoint and hand-back (server.close waits for open requests).
    await Promise.all([server.close(), worker?.stop(), webhooks?.stop()]);
    await service.close();
  };
});
