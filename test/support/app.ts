// The API built for a test: a migrated test database, object storage (a temp folder unless given), a silent
// logger, and a tenant with a fresh API key. `request()` sends an authenticated request through `app.request()`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../api/app.ts";
import type { AppDeps } from "../../api/env.ts";
import { type Config, loadConfig } from "../../common/config.ts";
import { silentLogger } from "../../common/logger.ts";
import { createApiKey } from "../../db/keys.ts";
import { LocalStorage } from "../../db/storage/local.ts";
import type { ObjectStorage } from "../../db/storage/types.ts";
import { openTestDatabase, type TestDb } from "./db.ts";

export interface TestApp {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  db: TestDb;
  storage: ObjectStorage;
  config: Config;
  /** The seeded tenant's id and API key. */
  tenantId: string;
  apiKey: string;
  /** `app.request` with the seeded key (override with `headers.authorization`). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** A second tenant with its own key, for isolation tests. */
  addTenant(name: string): Promise<{ tenantId: string; apiKey: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment overrides parsed by loadConfig (e.g. GRADES_MAX_UPLOAD_BYTES). */
  env?: Record<string, string>;
  storage?: ObjectStorage;
  /** Share a database between apps (e.g. API and worker); closed by its owner. */
  db?: TestDb;
}

export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), "grades-test-app-"));
  // No rate limit unless a test asks for one: polling loops would otherwise meet 429s that are not under test.
  const config = loadConfig({
    GRADES_DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    GRADES_RATE_LIMIT_PER_MINUTE: "0",
    ...opts.env,
  });
  const db = opts.db ?? (await openTestDatabase());
  const storage = opts.storage ?? new LocalStorage(join(dataDir, "objects"));
  const deps: AppDeps = { config, db, storage, logger: silentLogger() };
  const app = createApp(deps);
  const seeded = await createApiKey(db.db, "test-tenant");
  const request = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${seeded.key}`);
    return Promise.resolve(app.request(path, { ...init, headers }));
  };
  return {
    app,
    deps,
    db,
    storage,
    config,
    tenantId: seeded.tenant.id,
    apiKey: seeded.key,
    request,
    async addTenant(name) {
      const k = await createApiKey(db.db, name);
      return { tenantId: k.tenant.id, apiKey: k.key };
    },
    async close() {
      if (!opts.db) await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A multipart body with one file part and string fields, as curl -F or the openai client sends it. */
export function multipart(
  file: { field?: string; name: string; content: string | Uint8Array; type?: string } | undefined,
  fields: Record<string, string> = {},
): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) {
    const blob = new Blob([file.content as BlobPart], { type: file.type ?? "application/jsonl" });
    form.append(file.field ?? "file", blob, file.name);
  }
  return form;
}
