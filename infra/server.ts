// Serves the API (and the worker processes' /health and /metrics) over HTTP on Node.
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import { ApiError, type AppDeps, createApp } from "../api/index.ts";

export interface RunningServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * What Node's HTTP parser refuses before any handler runs (a request line or headers past 16 KB, bytes that are
 * not HTTP, a client that never finishes its headers), answered in the API's error body. Node's own answer is a
 * bare status line.
 */
function clientErrorAnswer(err: NodeJS.ErrnoException): ApiError {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return new ApiError(431, "The request line and headers are too large: at most 16 KB together", {
        code: "header_too_large",
      });
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new ApiError(408, "The request was not received in time", { code: "bad_request" });
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return new ApiError(413, "Chunk extensions too large", { code: "payload_too_large" });
    default:
      return new ApiError(400, "Malformed HTTP request", { code: "bad_request" });
  }
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Payload Too Large",
  431: "Request Header Fields Too Large",
};

function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A response already under way on this socket, or a client that is gone: nothing can be answered.
  if (err.code === "ECONNRESET" || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const answer = clientErrorAnswer(err);
  const body = JSON.stringify(answer.body());
  socket.end(
    `HTTP/1.1 ${answer.status} ${REASONS[answer.status] ?? "Bad Request"}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}

export function startServer(deps: AppDeps, opts: { port: number; host: string }): Promise<RunningServer> {
  return serveFetch(createApp(deps).fetch, opts);
}

type Bindings = HttpBindings | Http2Bindings;

/** Serves any fetch handler (the API app, a worker's /health and /metrics). */
export function serveFetch(
  handler: (request: Request, env: Bindings) => Response | Promise<Response>,
  opts: { port: number; host: string },
): Promise<RunningServer> {
  // An answer sent before the request's body has arrived (a 413 on its Content-Length, a 404 for an unknown
  // upload, a 401) ends the connection: the server would otherwise discard the rest of the body for a while and
  // then drop the socket, under a client that was told keep-alive and reuses it for its next request.
  const fetch = async (req: Request, env: Bindings) => {
    const res = await handler(req, env);
    // serve() speaks HTTP/1.1 here (no createServer option), so the bindings are http's.
    const { incoming, outgoing } = env as HttpBindings;
    if (!incoming.complete) outgoing.setHeader("connection", "close");
    return res;
  };
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: opts.port, hostname: opts.host }, (info: AddressInfo) => {
      const host = opts.host === "0.0.0.0" || opts.host === "::" ? "localhost" : opts.host;
      resolve({
        port: info.port,
        url: `http://${host}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Idle keep-alive connections would hold close() open.
            (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    server.on("clientError", onClientError);
    server.once("error", reject);
  });
}
