// `npx grades keys create --tenant NAME`: creates a tenant if needed and prints a new API key for it, once.
import type { Command } from "commander";
import { migrate, openDatabase } from "../db/client.ts";
import { createApiKey } from "../db/keys.ts";
import { loadConfigOrExit } from "../infra/main.ts";

export function registerKeyCommands(program: Command): void {
  const keys = program.command("keys").description("API keys of the service's tenants");
  keys
    .command("create")
    .description("Create an API key for a tenant (the tenant is created if new); the key is printed once")
    .requiredOption("--tenant <name>", "tenant name")
    .option("--name <label>", "a label for the key")
    .action(async (opts: { tenant: string; name?: string }) => {
      const config = loadConfigOrExit();
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await migrate(db);
        const created = await createApiKey(db.db, opts.tenant, { name: opts.name });
        process.stdout.write(`${created.key}\n`);
        process.stderr.write(
          `API key ${created.id} for tenant '${created.tenant.name}' (${created.tenant.id}). It is shown only now.\n`,
        );
      } finally {
        await db.close();
      }
    });
}
