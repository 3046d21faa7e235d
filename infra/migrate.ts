// `npm run migrate`: applies pending migrations to the configured database and exits.
import { migrate, openDatabase } from "../db/client.ts";
import { loadConfigOrExit } from "./main.ts";

const config = loadConfigOrExit();
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  await migrate(db);
  process.stdout.write(
    `migrations applied (${db.driver === "postgres" ? "postgres" : `pglite in ${config.dataDir}`})\n`,
  );
} finally {
  await db.close();
}
