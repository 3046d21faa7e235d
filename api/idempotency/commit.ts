// The one way a create commits: its writes and the record of its response under the request's Idempotency-Key
// in one transaction (see middleware.ts).
import type { Context } from "hono";
import type { Tx } from "../../db/client.ts";
import { completeKey } from "../../db/idempotency.ts";
import { secretBox } from "../../db/webhooks/secrets.ts";
import type { AppEnv } from "../env.ts";
import type { ReceivedForm } from "../multipart.ts";
import { formFingerprint } from "./fingerprint.ts";
import { IdempotentReplay, inUse, reused, sealedFor } from "./middleware.ts";

/**
 * Runs `write` in a transaction and returns the response body it builds (answer it with `c.json(body, 200)`).
 * With an Idempotency-Key, the same transaction records that body, so a retry replays it. A streamed create
 * passes its received `form`, whose fingerprint is known only now: if the key already answered the same
 * request, that answer is replayed (IdempotentReplay: the caller's cleanup runs, as for any failure).
 */
export async function commitCreate<T>(
  c: Context<AppEnv>,
  write: (tx: Tx) => Promise<T>,
  opts: { form?: ReceivedForm } = {},
): Promise<T> {
  const state = c.var.idempotency;
  const { db, config } = c.var.deps;
  if (!state) return db.transaction(write);
  const url = new URL(c.req.url);
  const formHash = opts.form && formFingerprint(c.req.method, url.pathname + url.search, opts.form);
  if (state.kind === "completed") {
    if (formHash !== state.row.requestHash) throw reused(state.row);
    throw new IdempotentReplay(state.row);
  }
  const requestHash = state.requestHash ?? formHash;
  if (!requestHash) throw new Error("a streamed create must pass its received form to commitCreate");
  const body = await db.transaction(async (tx) => {
    const created = await write(tx);
    const text = JSON.stringify(created);
    const stored = state.sealed
      ? secretBox(config.webhooks).seal(text, sealedFor(state.tenantId, state.key))
      : text;
    const recorded = await completeKey(tx.sql, state, {
      requestHash,
      status: 200,
      body: stored,
      sealed: state.sealed,
    });
    // The lease ran out and a retry took the key over: roll back, so that only one of the two creates.
    if (!recorded) throw inUse(state.key);
    return created;
  });
  state.completed = true;
  return body;
}
