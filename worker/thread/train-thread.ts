// The training thread's body: runs the engine's train() on the spec it was given, forwards every event to the
// worker process and waits for its acknowledgement (so a slow consumer slows training instead of losing
// events, as with an in-process onEvent), and aborts when the process says so.
import { parentPort, workerData } from "node:worker_threads";
import { train } from "../engine/index.ts";
import { serializeError, type ThreadInput, type ToMain, type ToThread } from "./messages.ts";

const port = parentPort!;
const { spec } = workerData as ThreadInput;
const controller = new AbortController();
const waiting = new Map<number, () => void>();
let nextId = 0;

port.on("message", (m: ToThread) => {
  if (m.type === "abort") controller.abort(new Error("aborted by the worker"));
  else waiting.get(m.id)?.();
});

const send = (m: ToMain) => port.postMessage(m);

try {
  const summary = await train(spec, {
    signal: controller.signal,
    onEvent: (event) =>
      new Promise<void>((resolve) => {
        const id = nextId++;
        waiting.set(id, () => {
          waiting.delete(id);
          resolve();
        });
        send({ type: "event", id, event });
      }),
  });
  send({ type: "done", summary });
} catch (err) {
  send({ type: "error", error: serializeError(err) });
}
port.close();
