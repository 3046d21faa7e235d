import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "sdk/**/*.test.ts"],
    // Training steps on tiny models and real databases are slow on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Suites that start servers and train models compete for 2 cores; keep parallelism modest.
    maxWorkers: 2,
  },
});
