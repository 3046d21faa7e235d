// The webhook settings every part receives (API, dispatcher); common/config.ts fills them from the environment.
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE } from "./retry.ts";

export interface WebhooksConfig {
  /** Whether `npm start` and `npm run worker` run a dispatcher in their process. */
  inProcess: boolean;
  /** 32-byte key (AES-256-GCM) encrypting endpoint secrets; absent: the key file below, created on first use. */
  secretKey: Buffer | undefined;
  secretKeyFile: string;
  /** Local development and tests only: allow http and loopback/private targets. */
  allowPrivateTargets: boolean;
  /** A delivery that has no 2xx answer within this is a failed attempt. */
  timeoutSeconds: number;
  /** How long a dispatcher holds a claimed delivery; longer than the timeout, so no heartbeat is needed. */
  leaseSeconds: number;
  pollSeconds: number;
  /** Deliveries in flight per dispatcher. */
  concurrency: number;
  /** db/webhooks/retry.ts */
  retrySchedule: readonly number[];
  /** An endpoint with no success for this long (and a failure after it) is disabled. */
  disableAfterSeconds: number;
  /** Default overlap of the old and new secret after a rotation. */
  rotationOverlapSeconds: number;
  /** Bytes of an answer's body that are read (and kept in the delivery log); the rest is not read. */
  responseBodyLimitBytes: number;
}

export const WEBHOOK_DEFAULTS = {
  timeoutSeconds: 15,
  leaseSeconds: 60,
  pollSeconds: 1,
  concurrency: 16,
  retrySchedule: DEFAULT_WEBHOOK_RETRY_SCHEDULE,
  /** 5 days, as Svix. */
  disableAfterSeconds: 5 * 24 * 3600,
  rotationOverlapSeconds: 24 * 3600,
  responseBodyLimitBytes: 1024,
} as const;
