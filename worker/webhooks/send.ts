// One HTTP attempt: POST the signed body and judge the answer. Success is a 2xx within the timeout; a
// redirect is not followed (it is a failure: the target was vetted, the redirect's target was not). The
// connection goes only to addresses the URL policy allows, checked on the addresses resolved for this very
// connection (a DNS answer changed since the endpoint was created cannot slip through). Only the first bytes
// of the answer's body are read.

import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { AttemptOutcome } from "../../db/webhooks/dispatch.ts";
import { isAllowedAddress, parseTargetUrl, type UrlPolicy } from "../../db/webhooks/url-policy.ts";

export interface SendOptions {
  policy: UrlPolicy;
  timeoutMs: number;
  bodyLimitBytes: number;
  agents: { http: http.Agent; https: https.Agent };
}

export function keepAliveAgents(): SendOptions["agents"] {
  return { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
}

/** Agents that never reuse a connection, for the one retry after a reused connection was reset. */
const freshAgents = {
  http: new http.Agent({ keepAlive: false }),
  https: new https.Agent({ keepAlive: false }),
};

/** A lookup that refuses, for this connection, any name resolving to an address the policy does not allow. */
function guardedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...(options as object), all: true } as LookupAllOptions, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as LookupAddress[];
      const bad = list.find((a) => !isAllowedAddress(a.address, policy));
      if (bad) {
        const refused = Object.assign(
          new Error(`refused: ${hostname} resolves to a non-public address (${bad.address})`),
          { code: "ETARGETREFUSED" },
        );
        return callback(refused, "", 0);
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}

export async function sendAttempt(
  target: string,
  headers: Record<string, string>,
  body: string,
  opts: SendOptions,
  fresh = false,
): Promise<AttemptOutcome> {
  const startedAt = new Date();
  const t0 = performance.now();
  const done = (o: Omit<AttemptOutcome, "startedAt" | "latencyMs">): AttemptOutcome => ({
    ...o,
    startedAt,
    latencyMs: performance.now() - t0,
  });
  let url: URL;
  try {
    // Again at delivery: the policy may be stricter now than when the endpoint was created.
    url = parseTargetUrl(target, opts.policy);
  } catch (err) {
    return done({
      ok: false,
      httpStatus: null,
      responseBody: null,
      error: `refused: URL ${(err as Error).message}`,
    });
  }
  const isHttps = url.protocol === "https:";
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (o: Omit<AttemptOutcome, "startedAt" | "latencyMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(o));
    };
    const req = (isHttps ? https : http).request(url, {
      method: "POST",
      agent: isHttps ? opts.agents.https : opts.agents.http,
      lookup: guardedLookup(opts.policy),
      headers: {
        ...headers,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
        "user-agent": "grades-finetune-webhooks",
      },
    });
    const timer = setTimeout(() => {
      finish({
        ok: false,
        httpStatus: null,
        responseBody: null,
        error: `timeout: no answer within ${opts.timeoutMs} ms`,
      });
      req.destroy();
    }, opts.timeoutMs);
    req.on("error", (err) => {
      // A kept-alive connection the receiver closed just as it was reused (its idle timeout): the request most
      // likely never arrived, so it goes again once on a new connection, as Node's documentation advises for
      // such resets; delivery is at least once anyway.
      if (!fresh && req.reusedSocket && (err as NodeJS.ErrnoException).code === "ECONNRESET" && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve(sendAttempt(target, headers, body, { ...opts, agents: freshAgents }, true));
        return;
      }
      finish({ ok: false, httpStatus: null, responseBody: null, error: err.message });
    });
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const end = (complete: boolean) => {
        const text = Buffer.concat(chunks).subarray(0, opts.bodyLimitBytes).toString("utf8");
        const ok = status >= 200 && status < 300;
        finish({ ok, httpStatus: status, responseBody: text, error: ok ? null : `HTTP ${status}` });
        // A body larger than the limit is not read further: the socket is dropped rather than drained.
        if (!complete) res.destroy();
      };
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= opts.bodyLimitBytes) end(false);
      });
      res.on("end", () => end(true));
      res.on("error", () => end(false));
    });
    req.end(body);
  });
}
