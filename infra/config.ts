// The service's configuration: every environment variable is read here, once, and validated with zod.
// Everything else receives a Config object; nothing deeper reads process.env.
import { z } from "zod";

const boolish = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const bytes = z.coerce.number().int().positive();

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  GRADES_DATA_DIR: z.string().min(1).default("./.grades"),
  S3_BUCKET: z.string().min(1).optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_FORCE_PATH_STYLE: boolish.default(true),
  /** Key prefix inside the bucket, so one bucket can hold several deployments. */
  S3_PREFIX: z.string().default(""),
  GRADES_BACKEND: z.enum(["auto", "tensorflow", "wasm", "cpu"]).default("auto"),
  GRADES_API_KEY: z.string().min(8, "must be at least 8 characters").optional(),
  /** Largest accepted file, in bytes (default 512 MB). */
  GRADES_MAX_UPLOAD_BYTES: bytes.default(512 * 1024 * 1024),
  /** Largest accepted file created through the Uploads API, in bytes (default 8 GB, OpenAI's limit). */
  GRADES_MAX_MULTIPART_UPLOAD_BYTES: bytes.default(8 * 1024 * 1024 * 1024),
  /** Requests per minute per API key, per API instance (the buckets are in memory); 0 disables. */
  GRADES_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Set to false to skip registering the built-in model (models/, also named demo-tiny) at start. */
  GRADES_DEMO_MODEL: boolish.default(true),
  // Workers and the job queue (docs/jobs.md).
  GRADES_WORKER_LEASE_SECONDS: z.coerce.number().positive().default(30),
  GRADES_WORKER_POLL_SECONDS: z.coerce.number().positive().default(2),
  GRADES_WORKER_CACHE_DIR: z.string().min(1).optional(),
  GRADES_JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  GRADES_TENANT_MAX_RUNNING_JOBS: z.coerce.number().int().min(1).default(2),
  GRADES_RETRY_BASE_SECONDS: z.coerce.number().min(0).default(5),
  GRADES_RETRY_MAX_SECONDS: z.coerce.number().min(0).default(600),
  /** Set to false to run `npm start` without its in-process worker. */
  GRADES_WORKER: boolish.default(true),
});

export type Env = z.input<typeof EnvSchema>;

export interface S3Config {
  bucket: string;
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  prefix: string;
}

export interface Config {
  port: number;
  host: string;
  /** Absent: embedded PGlite under `<dataDir>/pglite`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Absent: objects in `<dataDir>/objects`. */
  s3: S3Config | undefined;
  backend: "auto" | "tensorflow" | "wasm" | "cpu";
  apiKey: string | undefined;
  maxUploadBytes: number;
  maxMultipartUploadBytes: number;
  /** Requests per minute per API key, enforced by each API instance on its own; 0: no limit. */
  rateLimitPerMinute: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  demoModel: { enabled: boolean };
  worker: WorkerConfig;
}

export interface WorkerConfig {
  /** Whether `npm start` runs a worker in the API's process. */
  inProcess: boolean;
  leaseSeconds: number;
  /** Polling interval when no NOTIFY arrives; also the cadence of the rescuer. */
  pollSeconds: number;
  /** Where datasets and base models are cached across jobs (default `<dataDir>/cache`). */
  cacheDir: string;
  maxAttempts: number;
  runningPerTenant: number;
  retry: { baseSeconds: number; maxSeconds: number };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Treats empty variables as unset, as shells and compose files often leave `VAR=`. */
function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== "") out[k] = v;
  return out;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = i.path.join(".") || "(environment)";
      return `${name}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])] ?? null)})`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  if (e.S3_ENDPOINT !== undefined && e.S3_BUCKET === undefined) {
    throw new ConfigError("invalid configuration:\n  S3_BUCKET: required when S3_ENDPOINT is set");
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.GRADES_DATA_DIR,
    s3:
      e.S3_BUCKET === undefined
        ? undefined
        : {
            bucket: e.S3_BUCKET,
            endpoint: e.S3_ENDPOINT,
            region: e.S3_REGION,
            forcePathStyle: e.S3_FORCE_PATH_STYLE,
            prefix: e.S3_PREFIX,
          },
    backend: e.GRADES_BACKEND,
    apiKey: e.GRADES_API_KEY,
    maxUploadBytes: e.GRADES_MAX_UPLOAD_BYTES,
    maxMultipartUploadBytes: e.GRADES_MAX_MULTIPART_UPLOAD_BYTES,
    rateLimitPerMinute: e.GRADES_RATE_LIMIT_PER_MINUTE,
    logLevel: e.LOG_LEVEL,
    demoModel: { enabled: e.GRADES_DEMO_MODEL },
    worker: {
      inProcess: e.GRADES_WORKER,
      leaseSeconds: e.GRADES_WORKER_LEASE_SECONDS,
      pollSeconds: e.GRADES_WORKER_POLL_SECONDS,
      cacheDir: e.GRADES_WORKER_CACHE_DIR ?? `${e.GRADES_DATA_DIR}/cache`,
      maxAttempts: e.GRADES_JOB_MAX_ATTEMPTS,
      runningPerTenant: e.GRADES_TENANT_MAX_RUNNING_JOBS,
      retry: { baseSeconds: e.GRADES_RETRY_BASE_SECONDS, maxSeconds: e.GRADES_RETRY_MAX_SECONDS },
    },
  };
}
