// The service's configuration as every part receives it. infra/config.ts builds it from the environment, once;
// nothing below infra/ reads process.env.

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
  demoModel: { enabled: boolean; seed: number };
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
