// The API over real HTTP (Node's server and Node's pooled fetch): what only a socket shows.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../infra/server.ts";
import { createTestApp, type TestApp } from "../support/app.ts";

describe("the API over HTTP", () => {
  let t: TestApp;
  let server: RunningServer;
  beforeAll(async () => {
    t = await createTestApp();
    server = await startServer(t.deps, { port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  const auth = () => ({ authorization: `Bearer ${t.apiKey}` });

  it("closes the connection after answering without reading the body, so a pooled client's next request works", async () => {
    const cases = [
      // 413 before the body is read.
      {
        path: "/v1/fine_tuning/jobs",
        body: JSON.stringify({ model: "m", training_file: "f", metadata: { a: "x".repeat(1_200_000) } }),
        type: "application/json",
        status: 413,
      },
      // 404 for an unknown upload, before its part is read.
      {
        path: "/v1/uploads/upload_nope/parts",
        body: `--b\r\nContent-Disposition: form-data; name="data"; filename="p"\r\n\r\n${"y".repeat(200_000)}\r\n--b--\r\n`,
        type: "multipart/form-data; boundary=b",
        status: 404,
      },
    ];
    for (const c of cases) {
      for (let round = 0; round < 3; round++) {
        const res = await fetch(`${server.url}${c.path}`, {
          method: "POST",
          headers: { ...auth(), "content-type": c.type },
          body: c.body,
        });
        expect(res.status).toBe(c.status);
        expect((await res.json()).error.message).toEqual(expect.any(String));
        expect(res.headers.get("connection")).toBe("close");
        // At once, while the server would still be discarding the first body: on a connection it then dropped,
        // this request failed with UND_ERR_SOCKET.
        const next = await fetch(`${server.url}/v1/files`, { headers: auth() });
        expect(next.status).toBe(200);
        await next.arrayBuffer();
      }
    }
  });

  /** A raw HTTP/1.1 exchange, for what fetch would refuse to send. */
  function raw(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(server.port, "127.0.0.1", () => socket.end(request));
      let out = "";
      socket.on("data", (d) => {
        out += d.toString();
      });
      socket.on("end", () => resolve(out));
      socket.on("error", reject);
    });
  }

  function parse(answer: string) {
    const [head, body] = answer.split("\r\n\r\n");
    return { status: Number(head!.split(" ")[1]), head: head!.toLowerCase(), body: JSON.parse(body!) };
  }

  it("answers a URL past 16 KB with a 431 in the error shape", async () => {
    const res = await fetch(`${server.url}/v1/files?after=${"a".repeat(17_000)}`, { headers: auth() });
    expect(res.status).toBe(431);
    expect(await res.json()).toEqual({
      error: {
        message: expect.stringContaining("too large"),
        type: "invalid_request_error",
        param: null,
        code: "header_too_large",
      },
    });
  });

  it("answers bytes that are not HTTP with a 400 in the error shape", async () => {
    const answer = parse(await raw("HELLO\r\n\r\n"));
    expect(answer.status).toBe(400);
    expect(answer.head).toContain("connection: close");
    expect(answer.body.error).toMatchObject({ code: "bad_request", type: "invalid_request_error" });
  });

  it("keeps the connection open when the body was read", async () => {
    const res = await fetch(`${server.url}/v1/uploads`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ bytes: 1, filename: "a.jsonl", mime_type: "text/plain", purpose: "fine-tune" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).toBe("keep-alive");
    await res.arrayBuffer();
  });
});
