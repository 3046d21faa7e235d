// Serves the API over HTTP on Node.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type AppDeps, createApp } from "../api/index.ts";

export interface RunningServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export function startServer(deps: AppDeps, opts: { port: number; host: string }): Promise<RunningServer> {
  const app = createApp(deps);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, (info: AddressInfo) => {
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
    server.once("error", reject);
  });
}
