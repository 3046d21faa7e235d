// The images' HEALTHCHECK: exits 0 when this container's process answers GET /health with 200. An API process
// listens on PORT, a worker process on GRADES_WORKER_HTTP_PORT; one image runs either, so both are tried.
import { loadConfigOrExit } from "./main.ts";

const config = loadConfigOrExit();
const ports = [config.port, config.worker.httpPort];
let healthy = false;
for (const port of ports) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(4000) });
    if (res.status === 200) {
      healthy = true;
      break;
    }
  } catch {
    // Nothing listening on this port (the other role), or it timed out: try the next.
  }
}
process.exit(healthy ? 0 : 1);
