// What a dispatcher does to the database, one function per statement of ./sql.ts.

import type { SqlExecutor } from "../client.ts";
import { randomToken } from "../ids.ts";
import { CLAIM, FAN_OUT, PROMOTE, SETTLE } from "./sql.ts";

export function newDispatcherId(): string {
  return `webhooks:${process.pid}:${randomToken(6)}`;
}

/** Fans out up to `limit` outbox rows; returns how many events and deliveries that made. */
export async function fanOut(
  sql: SqlExecutor,
  limit: number,
): Promise<{ events: number; deliveries: number }> {
  const [row] = await sql.query<{ events: number; deliveries: number }>(FAN_OUT, [limit]);
  return { events: Number(row?.events ?? 0), deliveries: Number(row?.deliveries ?? 0) };
}

/** Makes the heads of delivery lines pending; returns how many. */
export async function promoteHeads(sql: SqlExecutor): Promise<number> {
  return (await sql.query(PROMOTE)).length;
}

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  /** This attempt's number (1-based). */
  attempt: number;
  type: string;
  data: unknown;
  eventCreatedAt: Date;
  url: string;
  secretCiphertext: string;
  /** The previous secret while a rotation's overlap lasts. */
  previousSecretCiphertext: string | null;
}

export async function claimDeliveries(
  sql: SqlExecutor,
  dispatcherId: string,
  leaseSeconds: number,
  limit: number,
): Promise<ClaimedDelivery[]> {
  const rows = await sql.query(CLAIM, [dispatcherId, leaseSeconds, limit]);
  return rows.map((r) => ({
    id: r.id as string,
    eventId: r.event_id as string,
    endpointId: r.endpoint_id as string,
    attempt: Number(r.attempts),
    type: r.type as string,
    data: r.data,
    eventCreatedAt: r.event_created_at as Date,
    url: r.url as string,
    secretCiphertext: r.secret_ciphertext as string,
    previousSecretCiphertext: (r.previous_secret_ciphertext as string | null) ?? null,
  }));
}

export interface AttemptOutcome {
  ok: boolean;
  startedAt: Date;
  httpStatus: number | null;
  latencyMs: number;
  responseBody: string | null;
  error: string | null;
}

/**
 * Records the attempt and settles the delivery. `retryInSeconds`: the wait before the next attempt after a
 * failure (null: none left). Returns the new status, or null when this dispatcher no longer held the delivery.
 */
export async function settleDelivery(
  sql: SqlExecutor,
  deliveryId: string,
  dispatcherId: string,
  outcome: AttemptOutcome,
  retryInSeconds: number | null,
  disableAfterSeconds: number,
): Promise<"succeeded" | "pending" | "failed" | null> {
  const [row] = await sql.query<{ status: "succeeded" | "pending" | "failed" }>(SETTLE, [
    deliveryId,
    dispatcherId,
    outcome.ok ? "succeeded" : "failed",
    retryInSeconds,
    outcome.startedAt,
    outcome.httpStatus,
    Math.round(outcome.latencyMs),
    outcome.responseBody,
    outcome.error,
    disableAfterSeconds,
  ]);
  return row?.status ?? null;
}
