// Every table of the service; drizzle-kit reads this folder to generate migrations.
export * from "./files.ts";
export * from "./idempotency.ts";
export * from "./jobs.ts";
export * from "./models.ts";
export * from "./tenants.ts";
export * from "./uploads.ts";
export * from "./webhooks.ts";
