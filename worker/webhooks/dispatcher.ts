// The webhook dispatcher loop: fan new outbox rows out into deliveries, move the heads of delivery lines
// (one line per job and endpoint) to pending, claim due deliveries under a lease
// (FOR UPDATE SKIP LOCKED: several dispatchers side by side never hold the same one), send each signed, and
// record the attempt guarded by the lease. Woken by NOTIFY when outbox rows are written; polling is the
// fallback and the cadence at which retries come due. stop() stops claiming and waits for the attempts in
// flight (each bounded by the timeout) to be recorded.

import type { Logger } from "../../common/logger.ts";
import type { Database } from "../../db/client.ts";
import type { WebhooksConfig } from "../../db/webhooks/config.ts";
import {
  type ClaimedDelivery,
  claimDeliveries,
  fanOut,
  newDispatcherId,
  promoteHeads,
  settleDelivery,
} from "../../db/webhooks/dispatch.ts";
import { eventPayload } from "../../db/webhooks/events.ts";
import { nextAttemptDelaySeconds } from "../../db/webhooks/retry.ts";
import { type SecretBox, secretBox } from "../../db/webhooks/secrets.ts";
import { WEBHOOKS_CHANNEL } from "../../db/webhooks/sql.ts";
import { Wakeup } from "../wake.ts";
import { keepAliveAgents, type SendOptions, sendAttempt } from "./send.ts";
import { signedHeaders } from "./sign.ts";

export interface DispatcherDeps {
  db: Database;
  logger: Logger;
  config: WebhooksConfig;
}

export interface DispatcherOptions {
  /** Lease holder name (default: webhooks:pid:random). */
  dispatcherId?: string;
  /** Called when an attempt was recorded (tests, the benchmark). */
  onAttempt?: (delivery: ClaimedDelivery, status: "succeeded" | "pending" | "failed" | null) => void;
}

export interface RunningDispatcher {
  dispatcherId: string;
  /** Stops claiming; resolves once the attempts in flight are recorded. */
  stop(): Promise<void>;
  drained: Promise<void>;
}

const FAN_OUT_BATCH = 500;

export async function startDispatcher(
  deps: DispatcherDeps,
  opts: DispatcherOptions = {},
): Promise<RunningDispatcher> {
  const cfg = deps.config;
  const dispatcherId = opts.dispatcherId ?? newDispatcherId();
  const log = deps.logger.child({ dispatcher: dispatcherId });
  const box = secretBox(cfg);
  const send: SendOptions = {
    policy: { allowPrivateTargets: cfg.allowPrivateTargets },
    timeoutMs: cfg.timeoutSeconds * 1000,
    bodyLimitBytes: cfg.responseBodyLimitBytes,
    agents: keepAliveAgents(),
  };
  const wakeup = new Wakeup();
  await wakeup.listen(deps.db.sql, log, WEBHOOKS_CHANNEL);
  let stopping = false;
  const inFlight = new Set<Promise<void>>();

  const deliver = async (d: ClaimedDelivery): Promise<void> => {
    const outcome = await attempt(d, box, send);
    const retryIn = outcome.ok ? null : nextAttemptDelaySeconds(d.attempt, cfg.retrySchedule);
    const status = await settleDelivery(
      deps.db.sql,
      d.id,
      dispatcherId,
      outcome,
      retryIn,
      cfg.disableAfterSeconds,
    );
    if (status === null) log.warn({ delivery: d.id }, "lease lost before the attempt was recorded");
    else if (!outcome.ok)
      log.info(
        { delivery: d.id, attempt: d.attempt, status, error: outcome.error },
        "delivery attempt failed",
      );
    opts.onAttempt?.(d, status);
  };

  // Claims come in batches: with most slots busy, a freed slot waits for others rather than costing a claim
  // query of its own.
  const batch = Math.ceil(cfg.concurrency / 2);
  const loop = async (): Promise<void> => {
    while (!stopping) {
      const free = cfg.concurrency - inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      if (free >= batch || inFlight.size === 0) {
        try {
          while ((await fanOut(deps.db.sql, FAN_OUT_BATCH)).events === FAN_OUT_BATCH) {}
          await promoteHeads(deps.db.sql);
          claimed = await claimDeliveries(deps.db.sql, dispatcherId, cfg.leaseSeconds, free);
        } catch (err) {
          log.warn({ err }, "webhook dispatcher query failed; retrying after the poll interval");
        }
      }
      for (const d of claimed) {
        const p = deliver(d)
          .catch((err) => log.error({ err, delivery: d.id }, "recording a delivery attempt failed"))
          .finally(() => {
            inFlight.delete(p);
            wakeup.wake();
          });
        inFlight.add(p);
      }
      // A full batch may mean more is due: go again at once. Otherwise wait for a NOTIFY, a finished attempt
      // (a slot freed, or the next event of a job became the head of its line), or the poll interval.
      if (claimed.length === 0 || claimed.length < free) await wakeup.wait(cfg.pollSeconds * 1000);
    }
    await Promise.all(inFlight);
  };

  const drained = loop().finally(async () => {
    await wakeup.close();
    send.agents.http.destroy();
    send.agents.https.destroy();
  });
  log.info({ concurrency: cfg.concurrency }, "webhook dispatcher started");
  return {
    dispatcherId,
    drained,
    async stop() {
      stopping = true;
      wakeup.wake();
      await drained;
    },
  };
}

/** Signs and sends one attempt; a secret that cannot be decrypted is a failed attempt saying so. */
async function attempt(d: ClaimedDelivery, box: SecretBox, send: SendOptions) {
  let secrets: string[];
  try {
    secrets = [box.open(d.secretCiphertext, d.endpointId)];
    if (d.previousSecretCiphertext) secrets.push(box.open(d.previousSecretCiphertext, d.endpointId));
  } catch {
    return {
      ok: false,
      startedAt: new Date(),
      latencyMs: 0,
      httpStatus: null,
      responseBody: null,
      error: "the endpoint's secret cannot be decrypted with this dispatcher's GRADES_WEBHOOK_SECRET_KEY",
    };
  }
  const body = JSON.stringify(
    eventPayload({ id: d.eventId, type: d.type, data: d.data, createdAt: d.eventCreatedAt }),
  );
  return sendAttempt(d.url, signedHeaders(d.eventId, new Date(), body, secrets), body, send);
}
