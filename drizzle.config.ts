import { defineConfig } from "drizzle-kit";

// Migrations are generated from the schema folder and committed as SQL; a landed migration is never edited.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema",
  out: "./db/migrations",
});
