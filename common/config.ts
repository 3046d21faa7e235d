// The service's configuration: every environment variable is read here, once, and validated with zod, by the
// entry points (infra/). Everything else receives a Config object; nothing deeper reads process.env.
import { z } from "zod";
import { WEBHOOK_DEFAULTS, type WebhooksConfig } from "./webhooks-config.ts";

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
  /** Threads a training job computes with on the wasm backend; absent: every core. */
  GRADES_THREADS: z.coerce.number().int().min(1).max(8).optional(),
  GRADES_API_KEY: z.string().min(8, "must be at least 8 characters").optional(),
  /** Largest accepted file, in bytes (default 512 MB). */
  GRADES_MAX_UPLOAD_BYTES: bytes.default(512 * 1024 * 1024),
  /** Largest accepted file created through the Uploads API, in bytes (default 8 GB, OpenAI's limit). */
  GRADES_MAX_MULTIPART_UPLOAD_BYTES: bytes.default(8 * 1024 * 1024 * 1024),
  /** Requests per minute per API key, per API instance (the buckets are in memory); 0 disables. */
  GRADES_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  /** How long a create's Idempotency-Key is remembered (default 24 hours, as Stripe and OpenAI). */
  GRADES_IDEMPOTENCY_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(24 * 60 * 60),
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
  /** Port of a worker process's /health and /metrics listener (`npm run worker`; 0: any free port). */
  GRADES_WORKER_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Set to false to run `npm start` without its in-process worker. */
  GRADES_WORKER: boolish.default(true),
  // Webhooks (docs/webhooks.md); the defaults are common/webhooks-config.ts's.
  /** Set to false to run `npm start` and workers without their in-process webhook dispatcher. */
  GRADES_WEBHOOKS: boolish.default(true),
  /** base64 of 32 bytes; absent: a key file in GRADES_DATA_DIR (fine for one machine only). */
  GRADES_WEBHOOK_SECRET_KEY: z
    .string()
    .refine((v) => Buffer.from(v, "base64").length === 32, "must be the base64 of 32 bytes")
    .optional(),
  /** Local development and tests only: allow http and loopback/private webhook targets. */
  GRADES_WEBHOOK_ALLOW_PRIVATE_TARGETS: boolish.default(false),
  GRADES_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().positive().default(WEBHOOK_DEFAULTS.timeoutSeconds),
  GRADES_WEBHOOK_LEASE_SECONDS: z.coerce.number().positive().default(WEBHOOK_DEFAULTS.leaseSeconds),
  GRADES_WEBHOOK_POLL_SECONDS: z.coerce.number().positive().default(WEBHOOK_DEFAULTS.pollSeconds),
  GRADES_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).default(WEBHOOK_DEFAULTS.concurrency),
  /** Comma-separated seconds: the wait before each attempt (the first is usually 0). */
  GRADES_WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$/, "must be comma-separated seconds, e.g. 0,5,300")
    .transform((v) => v.split(",").map(Number))
    .optional(),
  GRADES_WEBHOOK_DISABLE_AFTER_SECONDS: z.coerce
    .number()
    .positive()
    .default(WEBHOOK_DEFAULTS.disableAfterSeconds),
  GRADES_WEBHOOK_ROTATION_OVERLAP_SECONDS: z.coerce
    .number()
    .min(0)
    .default(WEBHOOK_DEFAULTS.rotationOverlapSeconds),
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
  /** Compute threads per training job (data-parallel replicas, see parallel/threads.ts); undefined: every core. */
  threads: number | undefined;
  apiKey: string | undefined;
  maxUploadBytes: number;
  maxMultipartUploadBytes: number;
  /** Requests per minute per API key, enforced by each API instance on its own; 0: no limit. */
  rateLimitPerMinute: number;
  /** Seconds an Idempotency-Key and its recorded response are kept (api/idempotency/). */
  idempotencyTtlSeconds: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  demoModel: { enabled: boolean };
  worker: WorkerConfig;
  webhooks: WebhooksConfig;
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
  /** Port of a worker process's /health and /metrics listener (the API serves its own on `port`). */
  httpPort: number;
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
  if (e.GRADES_WEBHOOK_LEASE_SECONDS <= e.GRADES_WEBHOOK_TIMEOUT_SECONDS) {
    throw new ConfigError(
      "invalid configuration:\n  GRADES_WEBHOOK_LEASE_SECONDS: must be longer than GRADES_WEBHOOK_TIMEOUT_SECONDS",
    );
  }
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
    threads: e.GRADES_THREADS,
    apiKey: e.GRADES_API_KEY,
    maxUploadBytes: e.GRADES_MAX_UPLOAD_BYTES,
    maxMultipartUploadBytes: e.GRADES_MAX_MULTIPART_UPLOAD_BYTES,
    rateLimitPerMinute: e.GRADES_RATE_LIMIT_PER_MINUTE,
    idempotencyTtlSeconds: e.GRADES_IDEMPOTENCY_TTL_SECONDS,
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
      httpPort: e.GRADES_WORKER_HTTP_PORT,
    },
    webhooks: {
      inProcess: e.GRADES_WEBHOOKS,
      secretKey: e.GRADES_WEBHOOK_SECRET_KEY ? Buffer.from(e.GRADES_WEBHOOK_SECRET_KEY, "base64") : undefined,
      secretKeyFile: `${e.GRADES_DATA_DIR}/webhook-secret.key`,
      allowPrivateTargets: e.GRADES_WEBHOOK_ALLOW_PRIVATE_TARGETS,
      timeoutSeconds: e.GRADES_WEBHOOK_TIMEOUT_SECONDS,
      leaseSeconds: e.GRADES_WEBHOOK_LEASE_SECONDS,
      pollSeconds: e.GRADES_WEBHOOK_POLL_SECONDS,
      concurrency: e.GRADES_WEBHOOK_CONCURRENCY,
      retrySchedule: e.GRADES_WEBHOOK_RETRY_SCHEDULE ?? WEBHOOK_DEFAULTS.retrySchedule,
      disableAfterSeconds: e.GRADES_WEBHOOK_DISABLE_AFTER_SECONDS,
      rotationOverlapSeconds: e.GRADES_WEBHOOK_ROTATION_OVERLAP_SECONDS,
      responseBodyLimitBytes: WEBHOOK_DEFAULTS.responseBodyLimitBytes,
    },
  };
}
